import type { components } from "./schema";

type S = components["schemas"];
export type ExecutionDetails = S["ExecutionDetails"];
export type ExecutionSummary = S["ExecutionSummary"];
export type WaveDetails = S["WaveDetails"];
export type ServerView = S["ServerView"];
export type PagedServer = S["PagedServer"];
export type Plan = S["Plan"];
export type DryRun = S["DryRun"];
export type Started = S["Started"];
export type Group = S["Group"];
export type AccountsCapacity = S["AccountsCapacity"];
export type UserPermissions = S["UserPermissions"];
export type PlanLint = S["PlanLint"];
