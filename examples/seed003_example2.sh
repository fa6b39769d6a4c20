#!/usr/bin/env bash
# Seed 003, Example 2, as written there but for the function names (and, in the test, the ids).
set -e
# Create recovery plan with multiple waves
aws lambda invoke \
  --function-name drs-orch-data-management-local \
  --invocation-type RequestResponse \
  --payload '{
    "operation": "create_recovery_plan",
    "body": {
      "planName": "Production DR Plan",
      "description": "Multi-wave production recovery",
      "waves": [
        {
          "waveNumber": 1,
          "waveName": "Database Tier",
          "protectionGroupId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
        },
        {
          "waveNumber": 2,
          "waveName": "Application Tier",
          "protectionGroupId": "b2c3d4e5-f6a7-8901-bcde-f12345678901",
          "dependsOnWaves": [1]
        },
        {
          "waveNumber": 3,
          "waveName": "Web Tier",
          "protectionGroupId": "c3d4e5f6-a7b8-9012-cdef-123456789012",
          "dependsOnWaves": [2]
        }
      ]
    }
  }' \
  response.json

# Response
cat response.json
