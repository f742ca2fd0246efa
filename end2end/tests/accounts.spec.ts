import { expect, test } from "@playwright/test";
import {
  gotoHydrated,
  PASSWORD,
  resetLinkFor,
  signIn,
  signOut,
  signUp,
  uniqueEmail,
  watchConsole,
} from "./helpers";

test("a coach signs up, out and in, changes the password and deletes the account", async ({ page }) => {
  const errors = watchConsole(page);
  const email = uniqueEmail("coach");

  await signUp(page, email);
  await expect(page.getByTestId("current-user")).toHaveText(email);

  await signOut(page);
  await signIn(page, email);
  await expect(page.getByTestId("current-user")).toHaveText(email);
  await signOut(page);

  // Wrong password: one message that does not say which part was wrong.
  await signIn(page, email, "not-the-password-1");
  await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");
  await expect(page.getByTestId("current-user")).toHaveCount(0);

  // Duplicate email.
  await signUp(page, email.toUpperCase());
  await expect(page.getByText("An account with this email already exists.")).toBeVisible();

  // Change password, then only the new one works.
  await signIn(page, email);
  await expect(page.getByTestId("current-user")).toHaveText(email);
  const newPassword = "even-higher-2027";
  await gotoHydrated(page, "/account");
  await page.getByLabel("Current password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm password", { exact: true }).fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Your password was changed.");
  await signOut(page);
  await signIn(page, email, PASSWORD);
  await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");
  await signIn(page, email, newPassword);
  await expect(page.getByTestId("current-user")).toHaveText(email);

  // Delete the account: wrong password first, then the right one.
  await gotoHydrated(page, "/account");
  await page.getByLabel("Password", { exact: true }).fill("not-the-password-1");
  await page.getByRole("button", { name: "Delete account" }).click();
  await expect(page.getByText("That password is not correct.")).toBeVisible();
  await page.getByLabel("Password", { exact: true }).fill(newPassword);
  await page.getByRole("button", { name: "Delete account" }).click();
  await expect(page.getByText("Your account was deleted.")).toBeVisible();
  await expect(page.getByTestId("current-user")).toHaveCount(0);
  await signIn(page, email, newPassword);
  await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");

  expect(errors, errors.join("\n")).toEqual([]);
});

test("validation messages appear beside their fields", async ({ page }) => {
  await gotoHydrated(page, "/signup");
  await page.getByLabel("Email", { exact: true }).fill("not-an-email@x");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.locator("#field-email-message")).toHaveText(
    "Enter a valid email address, like name@example.com.",
  );
  await expect(page.getByLabel("Email", { exact: true })).toHaveAttribute("aria-invalid", "true");

  await page.getByLabel("Email", { exact: true }).fill(uniqueEmail("rules"));
  await page.getByLabel("Password", { exact: true }).fill("chocolatecake1");
  await page.getByLabel("Confirm password", { exact: true }).fill("chocolatecake1");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.locator("#field-password-message")).toContainText("too common");

  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password", { exact: true }).fill(PASSWORD + "x");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.locator("#field-confirm_password-message")).toHaveText("Passwords do not match.");
});

test("repeated wrong passwords lock the account for a while", async ({ page }) => {
  const email = uniqueEmail("throttled");
  await signUp(page, email);
  await expect(page.getByTestId("current-user")).toHaveText(email);
  await signOut(page);
  for (let i = 0; i < 5; i++) {
    await signIn(page, email, `wrong-password-${i}`);
    await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");
  }
  // Even the right password is refused until the window passes.
  await signIn(page, email);
  await expect(page.getByRole("alert")).toContainText("Too many attempts. Try again in");
  await expect(page.getByTestId("current-user")).toHaveCount(0);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("sign-up and sign-in still work as plain forms", async ({ page }) => {
    const email = uniqueEmail("nojs");
    await page.goto("/signup");
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByLabel("Confirm password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign up" }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId("current-user")).toHaveText(email);

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByTestId("current-user")).toHaveCount(0);

    await page.goto("/signin");
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill("not-the-password-1");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");

    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("current-user")).toHaveText(email);
  });
});

test("a coach sees the signed-in devices and signs the others out", async ({ page, browser }) => {
  const errors = watchConsole(page);
  const email = uniqueEmail("devices");
  await signUp(page, email);
  await expect(page.getByTestId("current-user")).toHaveText(email);
  const phoneContext = await browser.newContext();
  const phone = await phoneContext.newPage();
  await signIn(phone, email);
  await expect(phone.getByTestId("current-user")).toHaveText(email);

  await gotoHydrated(page, "/account");
  const devices = page.getByRole("list", { name: "Signed-in devices" }).getByTestId("signed-in-device");
  await expect(devices).toHaveCount(2);
  await expect(devices.filter({ hasText: "This device" })).toHaveCount(1);
  await expect(devices.first()).toContainText("Chrome on Linux");
  await expect(devices.first()).toContainText("127.0.0.1");

  await page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await expect(page.getByRole("status")).toHaveText("One other device was signed out.");
  await expect(devices).toHaveCount(1);

  await phone.reload();
  await expect(phone.getByTestId("current-user")).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("current-user")).toHaveText(email);
  await phoneContext.close();
  expect(errors, errors.join("\n")).toEqual([]);
});

// ASVS 4.0 V2.5.6: a forgotten password is reset with a single-use link sent by email (through
// maildev, a real SMTP server), and the reset signs the account out everywhere.
test("a coach who forgot the password resets it from an emailed link", async ({ page, browser }) => {
  const errors = watchConsole(page);
  const email = uniqueEmail("forgot");
  await signUp(page, email);
  await expect(page.getByTestId("current-user")).toHaveText(email);
  const phone = await (await browser.newContext()).newPage();
  await signIn(phone, email);
  await expect(phone.getByTestId("current-user")).toHaveText(email);
  await signOut(page);

  await gotoHydrated(page, "/signin");
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await expect(page.getByRole("status")).toContainText("If an account uses that address");

  const link = await resetLinkFor(email);
  await gotoHydrated(page, link);
  const newPassword = "a-fresh-start-2027";
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm password", { exact: true }).fill(newPassword);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL(/\/signin\?reset=1$/);
  await expect(page.getByRole("status")).toContainText("Your password was reset");

  await signIn(page, email, newPassword);
  await expect(page.getByTestId("current-user")).toHaveText(email);
  await phone.reload();
  await expect(phone.getByTestId("current-user")).toHaveCount(0);

  // The link worked once.
  await gotoHydrated(page, link);
  await page.getByLabel("New password", { exact: true }).fill("yet-another-one-2028");
  await page.getByLabel("Confirm password", { exact: true }).fill("yet-another-one-2028");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("alert")).toContainText("This link cannot be used");
  expect(errors, errors.join("\n")).toEqual([]);
});
