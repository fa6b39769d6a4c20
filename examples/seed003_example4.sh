#!/usr/bin/env bash
# Seed 003, Example 4, as written there but for the function names (and, in the test, the ids).
set -e
# Start recovery plan execution
aws lambda invoke \
  --function-name drs-orch-execution-local \
  --invocation-type RequestResponse \
  --payload '{
    "operation": "execute_recovery_plan",
    "body": {
      "planId": "d4e5f6a7-b8c9-0123-def1-234567890123",
      "executionType": "DRILL",
      "initiatedBy": "automation-script"
    }
  }' \
  response.json

# Response (202 Accepted - async execution)
cat response.json
