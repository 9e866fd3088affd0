/** Observes a promise without awaiting it, so tests can assert "not settled yet". */
export interface Tracked<T> {
  settled: boolean;
  value: T | undefined;
  error: unknown;
  promise: Promise<T>;
}

export function track<T>(promise: Promise<T>): Tracked<T> {
  const state: Tracked<T> = { settled: false, value: undefined, error: undefined, promise };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}
