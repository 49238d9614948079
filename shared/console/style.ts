/**
 * The console's one stylesheet, served at /api/console/style.css (the CSP allows styles from
 * the app only). Colours keep a contrast of at least 4.5:1 on their backgrounds; below 40rem
 * tables become one card per row, each cell labelled with its column.
 */
export const CONSOLE_STYLESHEET = `
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; background: #fff; }
a { color: #0a4f99; }
a:focus-visible, button:focus-visible { outline: 3px solid #0a4f99; outline-offset: 2px; }
.bar { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; padding: .75rem 1rem; background: #12263f; color: #fff; }
.bar a, .bar p { color: #fff; margin: 0; }
.brand a { font-weight: 700; text-decoration: none; }
.who { flex: 1 1 auto; font-size: .95rem; }
.bar form { margin: 0; }
button { font: inherit; padding: .4rem .9rem; border: 1px solid #0a4f99; border-radius: 4px; background: #0a4f99; color: #fff; cursor: pointer; }
.bar button { background: #fff; color: #12263f; border-color: #fff; }
button.danger { background: #a4161a; border-color: #a4161a; }
nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: .5rem 1rem; border-bottom: 1px solid #d0d5dd; }
nav a[aria-current="page"] { font-weight: 700; text-decoration: none; color: #1b1b1b; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 .5rem; }
.muted { color: #505a66; }
.notice { padding: .75rem 1rem; border-left: 4px solid #0a4f99; background: #eef4fb; }
.warning { border-left-color: #a4161a; background: #fbeeee; }
code, .id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { text-align: left; vertical-align: top; padding: .45rem .6rem; border-bottom: 1px solid #d0d5dd; }
th { background: #f2f4f7; }
.pager { display: flex; gap: 1rem; }
.chart { max-width: 40rem; width: 100%; height: auto; }
.chart .bar-changes { fill: #0a4f99; }
.chart .bar-duration { fill: #6b3fa0; }
.chart .axis { stroke: #505a66; stroke-width: 1; }
.chart text { fill: #1b1b1b; font-size: 11px; }
@media (max-width: 40rem) {
  table, thead, tbody, tr, th, td, caption { display: block; }
  thead tr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  tr { border: 1px solid #d0d5dd; border-radius: 6px; margin: 0 0 .75rem; padding: .25rem .5rem; }
  td { border: 0; padding: .2rem 0; }
  td::before { content: attr(data-label) ": "; font-weight: 600; }
}
`;
