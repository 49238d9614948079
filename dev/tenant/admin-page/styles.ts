/**
 * The admin page's stylesheet, served as a file (`/_admin/admin.css`) so the page's
 * Content-Security-Policy can forbid inline styles and scripts altogether.
 */
export const ADMIN_PAGE_CSS = `
body { font: 16px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1b1b1b; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
h3 { font-size: 1rem; margin: 0 0 .25rem; }
code { font-size: .85em; word-break: break-all; }
.muted { color: #555; font-size: .9em; }
.notice { padding: .5rem .75rem; border-radius: .3rem; background: #e8f4ea; }
.notice.error { background: #fbe9e7; }
article { border: 1px solid #ccc; border-radius: .4rem; padding: .75rem; margin: .75rem 0; }
ul { padding-left: 1.2rem; margin: .25rem 0; }
form { display: flex; flex-wrap: wrap; gap: .4rem; align-items: end; margin: .4rem 0; }
form.inline { display: inline-flex; margin: 0 0 0 .4rem; }
label { display: flex; flex-direction: column; font-size: .85em; gap: .15rem; }
input, select, button { font: inherit; padding: .35rem .5rem; min-height: 2.2rem; max-width: 100%; }
button { cursor: pointer; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f4f4f4; }
`;
