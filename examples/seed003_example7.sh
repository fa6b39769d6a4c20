#!/bin/bash
# Direct Lambda orchestration example
# Requires: aws-cli, jq

set -e

# Function names from CloudFormation stack
DATA_MGMT_FUNCTION="drs-orch-data-management-local"
EXECUTION_FUNCTION="drs-orch-execution-local"
QUERY_FUNCTION="drs-orch-query-local"

# Helper function to invoke Lambda
invoke_lambda() {
    local function_name=$1
    local payload=$2
    
    aws lambda invoke \
        --function-name "$function_name" \
        --invocation-type RequestResponse \
        --payload "$payload" \
        response.json > /dev/null
    
    cat response.json
    rm response.json
}

# Step 1: Query DRS servers
echo "Step 1: Querying DRS source servers..."
SERVERS=$(invoke_lambda "$QUERY_FUNCTION" '{
    "operation": "get_drs_source_servers",
    "queryParams": {"region": "us-east-1"}
}')

SERVER_COUNT=$(echo "$SERVERS" | jq -r '.serverCount')
echo "Found $SERVER_COUNT servers"

# Step 2: Create Protection Group
echo -e "\nStep 2: Creating Protection Group..."
SERVER_IDS=$(echo "$SERVERS" | jq -c '[.servers[0:5][].sourceServerID]')

PG_RESPONSE=$(invoke_lambda "$DATA_MGMT_FUNCTION" "{
    \"operation\": \"create_protection_group\",
    \"body\": {
        \"groupName\": \"Automated Protection Group\",
        \"region\": \"us-east-1\",
        \"sourceServerIds\": $SERVER_IDS,
        \"description\": \"Created by automation script\"
    }
}")

PG_ID=$(echo "$PG_RESPONSE" | jq -r '.groupId')
echo "Created Protection Group: $PG_ID"

# Step 3: Create Recovery Plan
echo -e "\nStep 3: Creating Recovery Plan..."
PLAN_RESPONSE=$(invoke_lambda "$DATA_MGMT_FUNCTION" "{
    \"operation\": \"create_recovery_plan\",
    \"body\": {
        \"planName\": \"Automated Recovery Plan\",
        \"description\": \"Single-wave recovery plan\",
        \"waves\": [
            {
                \"waveNumber\": 1,
                \"waveName\": \"Primary Wave\",
                \"protectionGroupId\": \"$PG_ID\"
            }
        ]
    }
}")

PLAN_ID=$(echo "$PLAN_RESPONSE" | jq -r '.planId')
echo "Created Recovery Plan: $PLAN_ID"

# Step 4: Execute Recovery Plan
echo -e "\nStep 4: Starting Recovery Plan Execution..."
EXEC_RESPONSE=$(invoke_lambda "$EXECUTION_FUNCTION" "{
    \"operation\": \"execute_recovery_plan\",
    \"body\": {
        \"planId\": \"$PLAN_ID\",
        \"executionType\": \"DRILL\",
        \"initiatedBy\": \"automation-script\"
    }
}")

EXEC_ID=$(echo "$EXEC_RESPONSE" | jq -r '.executionId')
EXEC_STATUS=$(echo "$EXEC_RESPONSE" | jq -r '.status')
echo "Started Execution: $EXEC_ID"
echo "Status: $EXEC_STATUS"

# Step 5: Poll execution status
echo -e "\nStep 5: Polling execution status..."
MAX_POLLS=60  # 30 minutes max

for ((i=1; i<=MAX_POLLS; i++)); do
    sleep 30  # Wait 30 seconds between polls
    
    STATUS_RESPONSE=$(invoke_lambda "$EXECUTION_FUNCTION" "{
        \"operation\": \"get_execution_details\",
        \"body\": {\"executionId\": \"$EXEC_ID\"}
    }")
    
    STATUS=$(echo "$STATUS_RESPONSE" | jq -r '.status')
    echo "Poll $i: Status = $STATUS"
    
    # Check if execution finished
    if [[ "$STATUS" == "COMPLETED" ]] || [[ "$STATUS" == "FAILED" ]] || [[ "$STATUS" == "CANCELLED" ]]; then
        echo -e "\nExecution finished with status: $STATUS"
        break
    fi
    
    # Show wave progress
    echo "$STATUS_RESPONSE" | jq -r '.waves[] | "  Wave \(.waveNumber): \(.status)"'
done

echo -e "\nOrchestration complete!"
