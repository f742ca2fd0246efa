import { defineConfig } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// Freshly started release servers, each with its own empty data directory (SQLite), per run.
const port = Number(process.env.AIRTIME_E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
const server =
  process.env.AIRTIME_SERVER ??
  join(process.env.CARGO_TARGET_DIR ?? resolve(__dirname, "../target"), "release/airtime");
/** A second server whose guest analyses expire immediately. */
export const expiringPort = port + 1;
/** maildev: the SMTP server Airtime sends its emails to, and the HTTP API tests read them from. */
const smtpPort = port + 10;
const mailApi = `http://127.0.0.1:${port + 11}`;
// The test workers inherit the runner's environment: this is how helpers.ts finds maildev.
process.env.AIRTIME_E2E_MAIL_API = mailApi;

export default defineConfig({
  testDir: "./tests",
  timeout: 180_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: [
    {
      command: `${resolve(__dirname, "node_modules/.bin/maildev")} --smtp ${smtpPort} --web ${port + 11} --ip 127.0.0.1 --silent`,
      url: `${mailApi}/healthz`,
      timeout: 30_000,
      reuseExistingServer: false,
      stdout: "ignore" as const,
      stderr: "pipe" as const,
    },
    airtimeServer(port, { AIRTIME_SMTP_URL: `smtp://127.0.0.1:${smtpPort}` }),
    // Guests' analyses expire at once here: for the "expired analyses are not claimed" test.
    airtimeServer(expiringPort, { AIRTIME_GUEST_RETENTION_HOURS: "0" }),
  ],
});

/** An empty data directory, removed when this process (the runner, after the servers) exits. */
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "airtime-e2e-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function airtimeServer(port: number, extraEnv: Record<string, string>) {
  return {
    command: `${server} serve`,
    cwd: resolve(__dirname, ".."),
    url: `http://127.0.0.1:${port}/readyz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "ignore" as const,
    stderr: "pipe" as const,
    env: {
      AIRTIME_DATA_DIR: dataDir(),
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      // Every test signs up from 127.0.0.1; the per-IP limits are tested elsewhere.
      AIRTIME_SIGNUPS_PER_IP_PER_HOUR: "1000",
      AIRTIME_SIGNIN_FAILURES_PER_IP: "1000",
      AIRTIME_GUEST_UPLOADS_PER_IP_PER_HOUR: "1000",
      AIRTIME_POSE_MODEL: resolve(__dirname, "../data/models/pose_landmarker_lite.task"),
      AIRTIME_BREACHED_PASSWORDS: resolve(__dirname, "../data/passwords/breached-passwords.bin"),
      LOG_FORMAT: "json",
      ...extraEnv,
    },
  };
}
