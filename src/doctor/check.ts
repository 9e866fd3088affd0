/** One line of the doctor's report. */
export interface Check {
  /** Stable id for machines (`--json`), e.g. `credentials`, `scope.customers-modify`. */
  id: string;
  title: string;
  status: "pass" | "warn" | "fail";
  /** What was found. */
  detail: string;
  /** The fix, in one sentence (warn and fail). */
  fix?: string;
}

export const pass = (id: string, title: string, detail: string): Check => ({ id, title, status: "pass", detail });
export const warn = (id: string, title: string, detail: string, fix: string): Check => ({ id, title, status: "warn", detail, fix });
export const fail = (id: string, title: string, detail: string, fix: string): Check => ({ id, title, status: "fail", detail, fix });

/** The bridge can serve when no check failed (warnings are for the operator to weigh). */
export const canServe = (checks: readonly Check[]): boolean => checks.every((c) => c.status !== "fail");
