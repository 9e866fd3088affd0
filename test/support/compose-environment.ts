import { readFileSync } from "node:fs";
import { parse } from "yaml";

/**
 * The environment `docker compose up` gives each bridge container of docker-compose.yml, with
 * `given` as the shell's variables: `${X:-default}` is the default when X is unset or empty (so
 * every `${X:-}` is ""), `${X:?message}` requires X.
 */
export function composeEnvironment(given: Record<string, string>): Record<string, string> {
  const compose = parse(readFileSync(new URL("../../docker-compose.yml", import.meta.url), "utf8")) as {
    "x-bridge": { environment: Record<string, string> };
  };
  const substitute = (value: string) =>
    value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, kind: string | undefined, rest: string | undefined) => {
      if (given[name] !== undefined && given[name] !== "") return given[name];
      if (kind === "?") throw new Error(`${name} is required by docker-compose.yml`);
      return kind === "-" ? (rest ?? "") : "";
    });
  return Object.fromEntries(Object.entries(compose["x-bridge"].environment).map(([k, v]) => [k, substitute(String(v))]));
}
