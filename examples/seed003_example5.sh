#!/usr/bin/env bash
# Seed 003, Example 5, as written there but for the function names (and, in the test, the ids).
set -e
# Check execution status
aws lambda invoke \
  --function-name drs-orch-execution-local \
  --invocation-type RequestResponse \
  --payload '{
    "operation": "get_execution_details",
    "body": {
      "executionId": "e5f6a7b8-c9d0-1234-ef12-345678901234"
    }
  }' \
  response.json

# Response
cat response.json
