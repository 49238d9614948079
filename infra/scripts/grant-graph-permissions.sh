#!/usr/bin/env bash
# Grants the Function App's managed identity the Microsoft Graph application permissions the
# service needs, and configures the app registration users sign in to. Idempotent: run it again
# after every `azd provision` that changed the app's host name.
#
# Needs the Azure CLI signed in (`az login`) as someone who may grant Graph application
# permissions (Privileged Role Administrator or Global Administrator) and who owns, or is
# Application Administrator for, the app registration. docs/deploy.md explains each permission.
set -euo pipefail

readonly GRAPH_APP_ID='00000003-0000-0000-c000-000000000000'
# Microsoft Graph application permissions (app role ids are the same in every tenant):
#   Application.Read.All  servicePrincipals/{id}/appRoleAssignedTo: the groups assigned to the app
#   GroupMember.Read.All  groups, members, transitiveMembers, getMemberGroups: who is in them
#   User.Read.All         user profiles (mail, UPN, accountEnabled) and getMemberGroups of a user
#   Group.Read.All        the change-notification subscription on /groups (Graph's least privilege for it)
readonly GRAPH_PERMISSIONS=(
  'Application.Read.All=9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30'
  'GroupMember.Read.All=98830695-27a2-44f7-8c18-0c3ebc9698f6'
  'User.Read.All=df021288-bdef-4463-88db-98f22de89214'
  'Group.Read.All=5b567255-7703-4780-807c-7be8301ae99b'
)

usage() {
  cat <<'USAGE'
Usage: grant-graph-permissions.sh [options]

Defaults come from the environment, so inside `azd` (or after `eval "$(azd env get-values)"`)
no option is needed.

  --identity-principal-id ID  object id of the app's managed identity
                              (default: $AZURE_FUNCTION_IDENTITY_PRINCIPAL_ID)
  --client-id ID              client id of the app registration (default: $ENTRA_CLIENT_ID)
  --redirect-uri URL          SSO redirect URI to add (default: $SSO_REDIRECT_URI, or
                              $SERVICE_API_URI/api/sso/callback)
  --app-id-uri URI            application id URI (default: $ENTRA_APP_ID_URI or api://<client id>)
  --groups-claim KIND         also emit a groups claim: SecurityGroup, ApplicationGroup (only
                              groups assigned to the app) or All; default: leave unchanged
  --id-token-issuance         also tick "ID tokens" (implicit grant). The service's sign-in uses
                              the authorization code flow and gets the ID token from the token
                              endpoint, so this is off unless a client of yours needs it
  --require-assignment        only users assigned to the Enterprise App (directly or through a
                              group) may sign in
  --graph-endpoint URL        Microsoft Graph endpoint (default: $GRAPH_ENDPOINT or
                              https://graph.microsoft.com)
  --dry-run                   print every az command instead of running it
  -h, --help                  this text
USAGE
}

dry_run=false
identity_principal_id="${AZURE_FUNCTION_IDENTITY_PRINCIPAL_ID:-}"
client_id="${ENTRA_CLIENT_ID:-}"
redirect_uri="${SSO_REDIRECT_URI:-}"
if [[ -z "$redirect_uri" && -n "${SERVICE_API_URI:-}" ]]; then
  redirect_uri="${SERVICE_API_URI%/}/api/sso/callback"
fi
app_id_uri="${ENTRA_APP_ID_URI:-}"
groups_claim=''
require_assignment=false
id_token_issuance=false
graph_endpoint="${GRAPH_ENDPOINT:-https://graph.microsoft.com}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) dry_run=true ;;
    --identity-principal-id) identity_principal_id="${2:?$1 needs a value}"; shift ;;
    --client-id) client_id="${2:?$1 needs a value}"; shift ;;
    --redirect-uri) redirect_uri="${2:?$1 needs a value}"; shift ;;
    --app-id-uri) app_id_uri="${2:?$1 needs a value}"; shift ;;
    --groups-claim) groups_claim="${2:?$1 needs a value}"; shift ;;
    --require-assignment) require_assignment=true ;;
    --id-token-issuance) id_token_issuance=true ;;
    --graph-endpoint) graph_endpoint="${2:?$1 needs a value}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

graph="${graph_endpoint%/}/v1.0"
app_id_uri="${app_id_uri:-api://$client_id}"

missing=()
[[ -n "$identity_principal_id" ]] || missing+=('--identity-principal-id (AZURE_FUNCTION_IDENTITY_PRINCIPAL_ID)')
[[ -n "$client_id" ]] || missing+=('--client-id (ENTRA_CLIENT_ID)')
[[ -n "$redirect_uri" ]] || missing+=('--redirect-uri (SSO_REDIRECT_URI)')
if [[ ${#missing[@]} -gt 0 ]]; then
  printf 'missing: %s\n' "${missing[@]}" >&2
  exit 2
fi
case "$groups_claim" in
  '' | SecurityGroup | ApplicationGroup | All) ;;
  *) echo "--groups-claim must be SecurityGroup, ApplicationGroup or All" >&2; exit 2 ;;
esac
if [[ "$redirect_uri" != https://* ]]; then
  echo "--redirect-uri must be https: $redirect_uri" >&2
  exit 2
fi

# Dry-run output goes to fd 3 (the terminal) because az_step runs inside $(...) captures.
exec 3>&1

shell_quote() {
  if [[ "$1" =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

# Runs az, or in a dry run prints it (quoted, ready to paste) and answers with the placeholder
# given as the first argument, so that later commands show where that answer goes.
az_step() {
  local placeholder="$1" arg
  shift
  if [[ "$dry_run" == true ]]; then
    printf '+ az' >&3
    for arg in "$@"; do
      printf ' ' >&3
      shell_quote "$arg" >&3
    done
    printf '\n' >&3
    printf '%s' "$placeholder"
  else
    az "$@"
  fi
}

json_string_array() {
  local first=true item
  printf '['
  for item in "$@"; do
    [[ "$first" == true ]] || printf ','
    first=false
    printf '"%s"' "$item"
  done
  printf ']'
}

if [[ "$dry_run" == true ]]; then
  echo "# Dry run: nothing is changed. Run without --dry-run (as a privileged administrator) to apply."
else
  command -v az >/dev/null || { echo "the Azure CLI (az) is not installed" >&2; exit 2; }
fi

echo "# 1. Microsoft Graph application permissions for the managed identity $identity_principal_id"
graph_sp_id="$(az_step '<graph-service-principal-id>' rest --method get \
  --url "$graph/servicePrincipals(appId='$GRAPH_APP_ID')" --query id --output tsv)"
granted="$(az_step '' rest --method get \
  --url "$graph/servicePrincipals/$identity_principal_id/appRoleAssignments" \
  --query "value[?resourceId=='$graph_sp_id'].appRoleId" --output tsv)"
for permission in "${GRAPH_PERMISSIONS[@]}"; do
  name="${permission%%=*}"
  app_role_id="${permission#*=}"
  if grep -qx "$app_role_id" <<<"$granted"; then
    echo "#    $name: already granted"
    continue
  fi
  echo "#    $name"
  az_step '' rest --method post \
    --url "$graph/servicePrincipals/$identity_principal_id/appRoleAssignments" \
    --headers 'Content-Type=application/json' \
    --body "{\"principalId\":\"$identity_principal_id\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$app_role_id\"}" \
    --output none
done

echo "# 2. App registration $client_id: redirect URI, application id URI${groups_claim:+, groups claim}"
# PATCH replaces the whole list, so keep the redirect URIs that are already registered (the
# MishikaLLM proxy may use this registration for its own sign-in).
existing_uris="$(az_step '' rest --method get \
  --url "$graph/applications(appId='$client_id')" --query 'web.redirectUris' --output tsv)"
redirect_uris=()
while IFS= read -r uri; do
  [[ -z "$uri" || "$uri" == "$redirect_uri" ]] || redirect_uris+=("$uri")
done <<<"$existing_uris"
redirect_uris+=("$redirect_uri")
web="{\"redirectUris\":$(json_string_array "${redirect_uris[@]}")"
if [[ "$id_token_issuance" == true ]]; then
  web+=',"implicitGrantSettings":{"enableIdTokenIssuance":true}'
fi
web+='}'
application_patch="{\"identifierUris\":[\"$app_id_uri\"],\"web\":$web"
if [[ -n "$groups_claim" ]]; then
  application_patch+=",\"groupMembershipClaims\":\"$groups_claim\""
fi
application_patch+='}'
az_step '' rest --method patch \
  --url "$graph/applications(appId='$client_id')" \
  --headers 'Content-Type=application/json' \
  --body "$application_patch" \
  --output none

echo "# 3. Enterprise Application (service principal) of the app registration"
sp_id="$(az_step '<enterprise-app-object-id>' rest --method get \
  --url "$graph/servicePrincipals?\$filter=appId eq '$client_id'&\$select=id" \
  --query 'value[0].id' --output tsv)"
if [[ -z "$sp_id" ]]; then
  sp_id="$(az_step '' rest --method post --url "$graph/servicePrincipals" \
    --headers 'Content-Type=application/json' --body "{\"appId\":\"$client_id\"}" \
    --query id --output tsv)"
fi
if [[ "$require_assignment" == true ]]; then
  az_step '' rest --method patch --url "$graph/servicePrincipals/$sp_id" \
    --headers 'Content-Type=application/json' \
    --body '{"appRoleAssignmentRequired":true}' --output none
fi

echo "# Done. Optionally: azd env set ENTRA_SERVICE_PRINCIPAL_ID $sp_id && azd provision"
echo "# Next: assign groups to the Enterprise Application $sp_id (docs/deploy.md, step 5)."
