/**
 * Results of the compatibility suites. A suite is a list of cases (an Okta step, a Postman
 * request, a validator test); a case passes when every one of its checks passes. Overridden
 * checks are recorded with their reason so the summary can show them.
 */
export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
  /** Set when the check was changed or waived by an override; the text is the reason. */
  override?: string;
}

export interface CaseResult {
  name: string;
  checks: Check[];
  skipped?: string;
}

export class SuiteReport {
  readonly cases: CaseResult[] = [];
  readonly notes: string[] = [];

  constructor(readonly name: string) {}

  /** Starts a case; checks are added to the returned object. */
  begin(name: string): CaseRecorder {
    const result: CaseResult = { name, checks: [] };
    this.cases.push(result);
    return new CaseRecorder(result);
  }

  skip(name: string, reason: string): void {
    this.cases.push({ name, checks: [], skipped: reason });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  get passed(): number {
    return this.cases.filter((c) => !c.skipped && caseOk(c)).length;
  }

  get failed(): number {
    return this.cases.filter((c) => !c.skipped && !caseOk(c)).length;
  }

  get skipped(): number {
    return this.cases.filter((c) => c.skipped).length;
  }

  get checkCount(): number {
    return this.cases.reduce((n, c) => n + c.checks.length, 0);
  }

  /** Human-readable lines: failures in full, passes as one line each when verbose. */
  render(verbose: boolean): string[] {
    const lines: string[] = [];
    for (const c of this.cases) {
      if (c.skipped) {
        if (verbose) lines.push(`  - skip ${c.name}: ${c.skipped}`);
        continue;
      }
      const ok = caseOk(c);
      if (ok && !verbose) continue;
      lines.push(`  ${ok ? "ok  " : "FAIL"} ${c.name}`);
      for (const check of c.checks) {
        if (check.ok && !verbose && !check.override) continue;
        const mark = check.ok ? (check.override ? "ovr " : "ok  ") : "FAIL";
        const extra = check.ok ? "" : check.detail ? ` — ${check.detail}` : "";
        lines.push(`      ${mark} ${check.name}${extra}${check.override && verbose ? ` [override: ${check.override}]` : ""}`);
      }
    }
    return lines;
  }
}

export class CaseRecorder {
  constructor(readonly result: CaseResult) {}

  check(name: string, ok: boolean, detail?: string, override?: string): boolean {
    this.result.checks.push({ name, ok, ...(ok ? {} : { detail }), ...(override ? { override } : {}) });
    return ok;
  }

  pass(name: string, override?: string): void {
    this.check(name, true, undefined, override);
  }

  fail(name: string, detail: string): void {
    this.check(name, false, detail);
  }

  get ok(): boolean {
    return caseOk(this.result);
  }
}

function caseOk(c: CaseResult): boolean {
  return c.checks.length > 0 && c.checks.every((x) => x.ok);
}
