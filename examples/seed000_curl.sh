#!/usr/bin/env bash
# Seed 000's curl test patterns, as written there but for the API URL and the ids:
# API (the stack's API URL), TOKEN (a bearer token), EXECUTION_ID, SERVER_ID and PLAN_ID.
set -e

# Test server enrichment (Batch 1)
curl -X GET "$API/executions/$EXECUTION_ID" \
  -H "Authorization: Bearer $TOKEN"
# Verify response includes server names, IPs, recovery instances
echo

# Test conflict detection (Batch 3)
curl -X POST "$API/protection-groups" \
  -H "Authorization: Bearer $TOKEN" \
  -d '{"groupName":"Test","region":"us-east-1","serverIds":["'"$SERVER_ID"'"]}'
# Verify conflict error if s-123 in active execution
echo

# Test wave execution (Batch 4)
curl -X POST "$API/recovery-plans/$PLAN_ID/execute" \
  -H "Authorization: Bearer $TOKEN" \
  -d '{"isDrill":true}'
# Verify wave execution starts successfully
echo
