#!/usr/bin/env bash
# Seed 003, Example 1, as written there but for the function names (and, in the test, the ids).
set -e
# Using AWS CLI with orchestration role
aws lambda invoke \
  --function-name drs-orch-data-management-local \
  --invocation-type RequestResponse \
  --payload '{
    "operation": "create_protection_group",
    "body": {
      "groupName": "Production Web Servers",
      "region": "us-east-1",
      "sourceServerIds": ["s-1234567890abcdef0", "s-abcdef1234567890"],
      "description": "Production web tier servers"
    }
  }' \
  response.json

# Response
cat response.json
