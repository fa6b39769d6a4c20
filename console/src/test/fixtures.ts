import type { ExecutionDetails } from "../api/types";

export const T0 = "2026-11-29T01:00:00.000Z";
export const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
const counts = (total: number, launched: number, failed = 0) => ({ total, pending: total - launched - failed, launching: 0, launched, failed, terminated: 0 });

export function execution(status: string, extra: Partial<ExecutionDetails> = {}): ExecutionDetails {
  return {
    executionId: "ex-1", planId: "plan-1", planName: "Order system", executionType: "DRILL", status,
    startTime: T0, accountId: "123456789012", region: "us-east-1", scopes: [], protectionGroupIds: ["g1", "g2"],
    pollIntervalSeconds: 30, waveCount: 2, serverCount: 3, serverCounts: counts(3, 2, 1), pauseRequested: false,
    cancelRequested: false, approvedWaves: [], pausedBeforeWaves: [], isPaused: false, canTerminate: false,
    waveCounts: {}, terminationMetadata: {} as ExecutionDetails["terminationMetadata"], serversTotal: 3, serversIncluded: 3,
    timings: { startTime: T0, elapsedSeconds: 90, pausedSeconds: 0 },
    waves: [
      {
        waveNumber: 1, waveName: "db", status: "COMPLETED", protectionGroupIds: ["g1"], dependsOnWaves: [],
        pauseBeforeWave: false, onServerFailure: "STOP", statusHistory: {}, serverCount: 1, serverCounts: counts(1, 1),
        startedAt: at(0), endedAt: at(40), jobIds: ["drsjob-aaaaaaaaaaaaaaaaa"],
        jobs: [{ jobKey: "0001#000", jobId: "drsjob-aaaaaaaaaaaaaaaaa", status: "COMPLETED", accountId: "123456789012", region: "us-east-1", serverCount: 1 }],
        servers: [{ sourceServerId: "s-1fe8390a9f687e6fa", hostname: "db-01.example.internal", status: "LAUNCHED", accountId: "123456789012", region: "us-east-1",
          statusHistory: { LAUNCHED: at(30) }, jobId: "drsjob-aaaaaaaaaaaaaaaaa", ec2InstanceId: "i-0123456789abcdef0", privateIp: "172.31.1.11" }],
      },
      {
        waveNumber: 2, waveName: "app", status: "LAUNCHING", protectionGroupIds: ["g2"], dependsOnWaves: [1],
        pauseBeforeWave: true, onServerFailure: "CONTINUE", statusHistory: {}, serverCount: 2, serverCounts: counts(2, 1, 1),
        startedAt: at(50), jobIds: ["drsjob-bbbbbbbbbbbbbbbbb"],
        jobs: [{ jobKey: "0002#000", jobId: "drsjob-bbbbbbbbbbbbbbbbb", status: "POLLING", accountId: "123456789012", region: "us-east-1", serverCount: 2 }],
        servers: [
          { sourceServerId: "s-55120d343418d3a0a", hostname: "app-01.example.internal", status: "LAUNCHED", accountId: "123456789012", region: "us-east-1",
            statusHistory: { LAUNCHED: at(70) }, ec2InstanceId: "i-0fedcba9876543210", privateIp: "172.31.2.21" },
          { sourceServerId: "s-efeeb0283ea79c809", hostname: "app-03.example.internal", status: "FAILED", accountId: "123456789012", region: "us-east-1",
            statusHistory: {}, failureReason: "replication is STALLED" },
        ],
      },
    ],
    ...extra,
  };
}

