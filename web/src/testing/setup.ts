import { afterEach, beforeEach, expect, vi } from "vitest";
import { cleanup, configure } from "@testing-library/react";

// Pages wait on a real server; on a busy 2-core CI machine that takes more than the default second.
configure({ asyncUtilTimeout: 5000 });

// A component that logs an error (React warnings included) fails its test:
// the dashboard must run without console errors.
let consoleErrors: string[] = [];

beforeEach(() => {
  consoleErrors = [];
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    consoleErrors.push(args.map(String).join(" ").slice(0, 500));
  });
});

afterEach(() => {
  cleanup();
  window.localStorage.clear();
  vi.restoreAllMocks();
  expect(consoleErrors, "console.error was called").toEqual([]);
});
