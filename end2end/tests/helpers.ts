import { expect, Page } from "@playwright/test";

export const PASSWORD = "jump-higher-2026";

export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Chrome logs every 4xx answer as a console error; those are expected refusals, not bugs. */
const EXPECTED_REFUSAL = /^Failed to load resource: the server responded with a status of 4\d\d/;

/** Collects console errors and uncaught exceptions so a test can assert there were none. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" && !EXPECTED_REFUSAL.test(msg.text())) errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(err.message));
  return errors;
}

/** Before hydration a click is a plain form post; wait until the WASM app has taken over. */
export async function gotoHydrated(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
}

export async function signUp(page: Page, email: string, password = PASSWORD) {
  await gotoHydrated(page, "/signup");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await gotoHydrated(page, "/signin");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByTestId("current-user")).toHaveCount(0);
}

/** The link of the newest password-reset email maildev received for `email`. */
export async function resetLinkFor(email: string): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(async () => {
      const mails: { to: { address: string }[]; subject: string; text: string }[] = await (
        await fetch(`${process.env.AIRTIME_E2E_MAIL_API}/email`)
      ).json();
      const mine = mails.filter(
        (m) => m.subject === "Reset your Airtime password" && m.to.some((t) => t.address === email),
      );
      link = mine.at(-1)?.text.match(/https?:\/\/\S+\/reset-password\/[0-9a-f]{64}/)?.[0];
      return link;
    }, { timeout: 15_000 })
    .toBeTruthy();
  return link!;
}
