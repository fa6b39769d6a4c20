#!/usr/bin/env python3
"""
Direct Lambda orchestration example
Assumes DRSOrchestrationRole for Lambda invocations
"""

import boto3
import json
import time

# Initialize Lambda client
lambda_client = boto3.client('lambda')

# Function names from CloudFormation stack
DATA_MGMT_FUNCTION = 'drs-orch-data-management-local'
EXECUTION_FUNCTION = 'drs-orch-execution-local'
QUERY_FUNCTION = 'drs-orch-query-local'

def invoke_lambda(function_name, operation, body=None, query_params=None):
    """Invoke Lambda function with operation-based routing"""
    payload = {
        'operation': operation
    }
    if body:
        payload['body'] = body
    if query_params:
        payload['queryParams'] = query_params
    
    response = lambda_client.invoke(
        FunctionName=function_name,
        InvocationType='RequestResponse',
        Payload=json.dumps(payload)
    )
    
    return json.loads(response['Payload'].read())

# Step 1: Query available DRS servers
print("Step 1: Querying DRS source servers...")
servers_response = invoke_lambda(
    QUERY_FUNCTION,
    'get_drs_source_servers',
    query_params={'region': 'us-east-1'}
)
print(f"Found {servers_response['serverCount']} servers")

# Step 2: Create Protection Group
print("\nStep 2: Creating Protection Group...")
server_ids = [s['sourceServerID'] for s in servers_response['servers'][:5]]
pg_response = invoke_lambda(
    DATA_MGMT_FUNCTION,
    'create_protection_group',
    body={
        'groupName': 'Automated Protection Group',
        'region': 'us-east-1',
        'sourceServerIds': server_ids,
        'description': 'Created by automation script'
    }
)
protection_group_id = pg_response['groupId']
print(f"Created Protection Group: {protection_group_id}")

# Step 3: Create Recovery Plan
print("\nStep 3: Creating Recovery Plan...")
plan_response = invoke_lambda(
    DATA_MGMT_FUNCTION,
    'create_recovery_plan',
    body={
        'planName': 'Automated Recovery Plan',
        'description': 'Single-wave recovery plan',
        'waves': [
            {
                'waveNumber': 1,
                'waveName': 'Primary Wave',
                'protectionGroupId': protection_group_id
            }
        ]
    }
)
plan_id = plan_response['planId']
print(f"Created Recovery Plan: {plan_id}")

# Step 4: Execute Recovery Plan
print("\nStep 4: Starting Recovery Plan Execution...")
exec_response = invoke_lambda(
    EXECUTION_FUNCTION,
    'execute_recovery_plan',
    body={
        'planId': plan_id,
        'executionType': 'DRILL',
        'initiatedBy': 'automation-script'
    }
)
execution_id = exec_response['executionId']
print(f"Started Execution: {execution_id}")
print(f"Status: {exec_response['status']}")

# Step 5: Poll execution status
print("\nStep 5: Polling execution status...")
max_polls = 60  # 30 minutes max (30s intervals)
for i in range(max_polls):
    time.sleep(30)  # Wait 30 seconds between polls
    
    status_response = invoke_lambda(
        EXECUTION_FUNCTION,
        'get_execution_details',
        body={'executionId': execution_id}
    )
    
    status = status_response['status']
    print(f"Poll {i+1}: Status = {status}")
    
    if status in ['COMPLETED', 'FAILED', 'CANCELLED']:
        print(f"\nExecution finished with status: {status}")
        break
    
    # Show wave progress
    for wave in status_response.get('waves', []):
        wave_status = wave.get('status', 'UNKNOWN')
        print(f"  Wave {wave['waveNumber']}: {wave_status}")

print("\nOrchestration complete!")
