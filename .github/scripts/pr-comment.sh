#!/usr/bin/env bash
# One comment per stack on the pull request, edited in place on every push: the preview's outcome, the policy
# violations (also when the preview failed), the cost estimate and the full preview output.
#
#   pr-comment.sh STACK OUTCOME PREVIEW_FILE COST_FILE
#
# Needs GH_TOKEN, GITHUB_REPOSITORY and PR_NUMBER; writes the same text to the job summary when GITHUB_STEP_SUMMARY
# is set. The hidden marker names the stack, so each stack's comment is found again and updated, never duplicated.
set -euo pipefail

stack="$1"
outcome="$2"
preview_file="$3"
cost_file="$4"
marker="<!-- aws-compute-platform:preview:${stack} -->"
# GitHub refuses comments over 65,536 characters; the preview output is cut well below that.
max_output=50000

body="$(mktemp)"
{
  echo "$marker"
  case "$outcome" in
    success) echo "### Preview of \`${stack}\`: passed" ;;
    skipped) echo "### Preview of \`${stack}\`: not run" ;;
    *) echo "### Preview of \`${stack}\`: FAILED" ;;
  esac
  echo
  if [ -s "$preview_file" ] && grep -q "Policy Violations:" "$preview_file"; then
    echo "#### Policy violations"
    echo
    echo '```'
    sed -n '/Policy Violations:/,/^[A-Z][a-z]*:$/p' "$preview_file" | head -n 200
    echo '```'
    echo
  fi
  if [ -s "$cost_file" ]; then
    echo "#### Monthly cost estimate"
    echo
    cat "$cost_file"
    echo
  fi
  if [ -s "$preview_file" ]; then
    echo "<details><summary>Full preview output</summary>"
    echo
    echo '```'
    head -c "$max_output" "$preview_file"
    echo
    echo '```'
    echo "</details>"
  fi
} >"$body"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$body" >>"$GITHUB_STEP_SUMMARY"
fi

existing="$(gh api --paginate "repos/${GITHUB_REPOSITORY}/issues/${PR_NUMBER}/comments" \
  --jq ".[] | select(.body | contains(\"${marker}\")) | .id" | head -n 1)"
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/${GITHUB_REPOSITORY}/issues/comments/${existing}" -F "body=@${body}" >/dev/null
  echo "Updated comment ${existing} for ${stack}"
else
  gh api --method POST "repos/${GITHUB_REPOSITORY}/issues/${PR_NUMBER}/comments" -F "body=@${body}" >/dev/null
  echo "Created the comment for ${stack}"
fi
