#!/usr/bin/env bash
# Seed 003, Example 3, as written there but for the function names (and, in the test, the ids).
set -e
# Query DRS source servers in region
aws lambda invoke \
  --function-name drs-orch-query-local \
  --invocation-type RequestResponse \
  --payload '{
    "operation": "get_drs_source_servers",
    "queryParams": {
      "region": "us-east-1"
    }
  }' \
  response.json

# Response
cat response.json
