import { expect, test } from "@playwright/test";
import { gotoHydrated, signUp, uniqueEmail, watchConsole } from "./helpers";

// ASVS 4.0 V14.4.3: pages carry a Content-Security-Policy whose scripts need this response's nonce.
// Chromium reports every blocked script, style, image or connection on the console; a page
// that still hydrates with none reported runs entirely within the policy.
test("every page hydrates under the content security policy", async ({ page }) => {
  const errors = watchConsole(page);
  const violations: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy|Refused to/.test(msg.text())) violations.push(msg.text());
  });

  const resetPage = `/reset-password/${"0".repeat(64)}`;
  for (const path of ["/", "/signin", "/signup", "/forgot-password", resetPage, "/no-such-page"]) {
    const response = await page.goto(path);
    expect(response?.headers()["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[\w-]+'/);
    await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
  }
  await signUp(page, uniqueEmail("csp"));
  await expect(page.getByTestId("current-user")).toBeVisible();
  for (const path of ["/", "/account", "/history", "/athletes"]) {
    await gotoHydrated(page, path);
  }

  expect(violations, violations.join("\n")).toEqual([]);
  expect(errors, errors.join("\n")).toEqual([]);
});

// ASVS 4.0 V5.3.1 (output in context): an error carried in a URL shows only Airtime's own fixed sentence.
test("a crafted error in the address shows no text of its own", async ({ page }) => {
  const spoof = JSON.stringify({ code: "invalid_input", field: "email", message: "Call +1 555 0100 to verify your account" });
  await gotoHydrated(page, `/signin?error=${encodeURIComponent(spoof)}`);
  await expect(page.locator("#field-email-message")).toHaveText("Enter a valid email address, like name@example.com.");
  await expect(page.getByText("555 0100")).toHaveCount(0);
});
