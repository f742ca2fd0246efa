import { expect, Page, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gotoHydrated, PASSWORD, signUp, uniqueEmail, watchConsole } from "./helpers";

const SHARED_CLIP = resolve(__dirname, "../../../shared/videos/evan_cmj_front.mp4");
let scratchDir: string | undefined;
/** Made on first use (not when the runner only lists the tests), removed when the process exits. */
function scratch(): string {
  if (!scratchDir) {
    const dir = mkdtempSync(join(tmpdir(), "airtime-e2e-clips-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    scratchDir = dir;
  }
  return scratchDir;
}

/** Two seconds of a grey room: a valid video with nobody in it. */
function emptyRoomClip(): string {
  const path = join(scratch(), "empty-room.mp4");
  if (!existsSync(path)) {
    execFileSync("ffmpeg", [
      "-v", "error", "-nostdin", "-y",
      "-f", "lavfi", "-i", "color=c=0x808080:size=320x240:rate=30:duration=2",
      "-vf", "noise=alls=8:allf=t", "-c:v", "libx264", "-pix_fmt", "yuv420p", path,
    ]);
  }
  return path;
}

/** Records every value the two progress bars show, however briefly. */
async function recordProgressBars(page: Page) {
  await page.addInitScript(() => {
    const seen: Record<string, number[]> = { "upload-progress": [], "analysis-progress": [] };
    (window as any).__progressSeen = seen;
    const record = () => {
      for (const id of Object.keys(seen)) {
        const bar = document.getElementById(id);
        const value = bar?.getAttribute("aria-valuenow");
        if (value !== null && value !== undefined) {
          const n = Number(value);
          if (seen[id][seen[id].length - 1] !== n) seen[id].push(n);
        }
      }
    };
    new MutationObserver(record).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["aria-valuenow"],
    });
  });
}

async function progressSeen(page: Page): Promise<Record<string, number[]>> {
  return page.evaluate(() => (window as any).__progressSeen);
}

async function analyse(page: Page, file: string, jump = "Countermovement jump") {
  await gotoHydrated(page, "/");
  await page.locator("#field-video").setInputFiles(file);
  await expect(page.getByTestId("chosen-file")).toContainText(".mp4");
  await page.getByLabel(jump).check();
  await page.getByRole("button", { name: "Analyse jump" }).click();
  await page.waitForURL(/\/analyses\/[0-9a-f-]{36}$/);
}

test("a guest analyses a real jump and only that browser can see it", async ({ page, browser }) => {
  test.skip(!existsSync(SHARED_CLIP), "../shared/videos is absent: the real-clip flow is skipped");
  const errors = watchConsole(page);
  await recordProgressBars(page);

  await analyse(page, SHARED_CLIP);
  const height = page.locator('[data-metric="jump_height_cm"] [data-value]');
  await expect(height).toBeVisible({ timeout: 150_000 });
  const cm = Number(await height.getAttribute("data-value"));
  expect(cm).toBeGreaterThan(5);
  expect(cm).toBeLessThan(80);
  await expect(page.locator('[data-metric="flight_time_ms"] [data-value]')).toBeVisible();

  const seen = await progressSeen(page);
  expect(seen["upload-progress"].length, "upload progress bar shown").toBeGreaterThan(0);
  expect(seen["analysis-progress"].length, "analysis progress bar shown").toBeGreaterThan(0);

  await expect(page.getByTestId("trajectory-chart")).toBeVisible();
  await expect(page.getByTestId("confidence")).toBeVisible();
  await expect(page.getByTestId("expiry-notice")).toContainText("deleted in");
  const frames = page.getByRole("list", { name: "Key frames" }).locator("img");
  await expect(frames.first()).toBeVisible();
  expect(await frames.first().evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

  // The takeoff button puts the player at the takeoff.
  const takeoff = page.locator('button[data-event="takeoff"]');
  const takeoffText = (await takeoff.textContent()) ?? "";
  const takeoffS = Number(/([\d.]+) s/.exec(takeoffText)?.[1]);
  await takeoff.click();
  await expect
    .poll(() => page.locator("video").evaluate((v: HTMLVideoElement) => v.currentTime))
    .toBeCloseTo(takeoffS, 1);

  const json = await page.request.get(
    (await page.getByRole("link", { name: "Result as JSON" }).getAttribute("href"))!,
  );
  expect(json.status()).toBe(200);
  expect((await json.json()).metrics.jump_height_m).toBeCloseTo(cm / 100, 2);
  expect(errors).toEqual([]);

  // A second browser (another guest) gets "not found", with no hint that it exists.
  const url = page.url();
  const stranger = await browser.newContext();
  const other = await stranger.newPage();
  const response = await other.goto(url);
  expect(response?.status()).toBe(404);
  await expect(other.getByRole("heading", { name: "Analysis not found" })).toBeVisible();
  await expect(other.locator("[data-metric]")).toHaveCount(0);
  await stranger.close();
});

test("a clip with nobody in it says no athlete was found", async ({ page, browser }) => {
  const errors = watchConsole(page);
  await recordProgressBars(page);
  await analyse(page, emptyRoomClip());
  await expect(page.getByTestId("analysis-error")).toContainText("no athlete found", { timeout: 60_000 });
  await expect(page.getByRole("link", { name: "Try another video" })).toBeVisible();
  expect((await progressSeen(page))["upload-progress"].length).toBeGreaterThan(0);
  expect(errors).toEqual([]);

  const stranger = await browser.newContext();
  const other = await stranger.newPage();
  expect((await other.goto(page.url()))?.status()).toBe(404);
  await stranger.close();
});

test("the form explains what is wrong before and after uploading", async ({ page }) => {
  await gotoHydrated(page, "/");
  await page.getByRole("button", { name: "Analyse jump" }).click();
  await expect(page.locator("#field-video-message")).toHaveText("Choose the video of the jump first.");

  const fake = join(scratch(), "jump.mp4");
  writeFileSync(fake, "this is not a video\n".repeat(200));
  await page.locator("#field-video").setInputFiles(fake);
  await page.getByLabel("Body mass (kg, optional)").fill("7");
  await page.getByRole("button", { name: "Analyse jump" }).click();
  await expect(page.locator("#field-body_mass_kg-message")).toContainText("between 20 and 250");

  await page.getByLabel("Body mass (kg, optional)").fill("72.5");
  await page.getByRole("button", { name: "Analyse jump" }).click();
  await expect(page.locator("#field-video-message")).toContainText("couldn't read this file as a video");
  await expect(page).toHaveURL(/\/$/);
});

/** 20,000 tiny frames one microsecond apart: a header declaring 0.02 s of a million fps. */
function timestampBurstClip(): string {
  const path = join(scratch(), "timestamp-burst.mp4");
  if (!existsSync(path)) {
    execFileSync("ffmpeg", [
      "-v", "error", "-nostdin", "-y",
      "-f", "lavfi", "-i", "color=black:s=64x64:r=1000000", "-frames:v", "20000",
      "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "1000000",
      "-video_track_timescale", "1000000", "-fps_mode", "passthrough", path,
    ]);
  }
  return path;
}

test("a guest whose upload breaks a limit is told why and can try again", async ({ page }) => {
  const errors = watchConsole(page);
  await gotoHydrated(page, "/");
  await page.locator("#field-video").setInputFiles(timestampBurstClip());
  await page.getByLabel("Countermovement jump").check();
  await page.getByRole("button", { name: "Analyse jump" }).click();
  await expect(page.locator("#field-video-message")).toContainText(
    "Airtime reads up to 240 frames per second",
  );
  await expect(page).toHaveURL(/\/$/);
  // The refusal cost nothing: the same guest's next, honest clip is accepted.
  await page.locator("#field-video").setInputFiles(emptyRoomClip());
  await page.getByRole("button", { name: "Analyse jump" }).click();
  await page.waitForURL(/\/analyses\/[0-9a-f-]{36}$/);
  expect(errors).toEqual([]);
});

test("a guest signs up and finds the analysis saved in the history", async ({ page }) => {
  const errors = watchConsole(page);
  await analyse(page, emptyRoomClip());
  await expect(page.getByTestId("analysis-error")).toBeVisible({ timeout: 60_000 });
  const analysisUrl = page.url();
  await page.getByTestId("expiry-notice").getByRole("link", { name: "Save to my account" }).click();
  await expect(page).toHaveURL(/\/signup$/);
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
  const email = uniqueEmail("guest");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByTestId("claim-notice")).toHaveText("1 analysis saved to your account.");
  const id = analysisUrl.split("/").pop()!;
  await expect(page.locator(`tr[data-analysis="${id}"]`)).toBeVisible();
  await page.locator(`tr[data-analysis="${id}"]`).getByRole("link", { name: "View" }).click();
  await expect(page).toHaveURL(analysisUrl);
  await expect(page.getByTestId("expiry-notice")).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("a claim link saves a guest analysis into an account on another device", async ({ page, browser }) => {
  await analyse(page, emptyRoomClip());
  await expect(page.getByTestId("analysis-error")).toBeVisible({ timeout: 60_000 });
  await page.getByRole("button", { name: "Get a link for another device" }).click();
  const link = await page.getByLabel("Link to save it from another device (works once)").inputValue();
  expect(link).toMatch(/\/claim\/[0-9a-f]{64}$/);

  const laptop = await browser.newContext();
  const other = await laptop.newPage();
  await signUp(other, uniqueEmail("coach"));
  await expect(other.getByTestId("current-user")).toBeVisible();
  await gotoHydrated(other, new URL(link).pathname);
  await other.getByRole("button", { name: "Save to my account" }).click();
  await expect(other.getByTestId("claim-result")).toContainText("saved to your account");
  await other.getByTestId("claim-result").getByRole("link", { name: "history" }).click();
  await expect(other.locator("tbody tr")).toHaveCount(1);

  // Used once: a second attempt gets the one clear message.
  await gotoHydrated(other, new URL(link).pathname);
  await other.getByRole("button", { name: "Save to my account" }).click();
  await expect(other.getByRole("alert")).toContainText("This link cannot be used");
  await laptop.close();

  // The guest's browser no longer has it.
  const response = await page.goto(page.url());
  expect(response?.status()).toBe(404);
});

test("a coach adds an athlete and analyses a jump for them", async ({ page }) => {
  const errors = watchConsole(page);
  await signUp(page, uniqueEmail("coach"));
  await expect(page.getByTestId("current-user")).toBeVisible();
  await gotoHydrated(page, "/athletes");
  await page.getByLabel("Name", { exact: true }).fill("Maya Lind");
  await page.getByLabel("Body mass (kg, optional)").fill("58");
  await page.getByLabel("Sex (optional)").selectOption("female");
  await page.getByRole("button", { name: "Add athlete" }).click();
  await expect(page.getByRole("list", { name: "Your athletes" }).getByRole("link", { name: "Maya Lind" })).toBeVisible();

  await gotoHydrated(page, "/");
  await page.locator("#field-video").setInputFiles(emptyRoomClip());
  await page.getByLabel("Athlete (optional)").selectOption({ label: "Maya Lind" });
  await page.getByRole("button", { name: "Analyse jump" }).click();
  await page.waitForURL(/\/analyses\/[0-9a-f-]{36}$/);
  await expect(page.getByLabel("Athlete", { exact: true })).toHaveValue(/[0-9a-f-]{36}/);

  await gotoHydrated(page, "/athletes");
  await page.getByRole("link", { name: "Maya Lind" }).click();
  await expect(page.getByRole("heading", { name: "Maya Lind" })).toBeVisible();
  await expect(page.getByText("No jump height measured yet.")).toBeVisible();
  expect(errors).toEqual([]);
});

test.describe("where guests' analyses expire at once", () => {
  test.use({ baseURL: `http://127.0.0.1:${Number(process.env.AIRTIME_E2E_PORT ?? 3100) + 1}` });

  test("an expired guest analysis is not claimed at sign-up", async ({ page }) => {
    await analyse(page, emptyRoomClip());
    await expect(page.getByRole("heading", { name: "Analysis not found" })).toBeVisible();
    await signUp(page, uniqueEmail("late"));
    await expect(page.getByTestId("current-user")).toBeVisible();
    await expect(page).toHaveURL(/\/$/);
    await gotoHydrated(page, "/history");
    await expect(page.getByText("No analyses yet.")).toBeVisible();
    await expect(page.getByTestId("claim-notice")).toHaveCount(0);
  });
});
