//! Accounts over HTTP against the real app, on SQLite always and on PostgreSQL when it answers.

#[macro_use]
mod common;

use airtime::server::public_url::PublicUrl;
use common::{
    error_code, postgres_available, session_cookie, set_cookie_named, unique_email, Backend,
    TestApp,
};

const PASSWORD: &str = "jump-higher-2026";

on_both_backends!(
    sign_up_starts_a_secure_session,
    sign_in_cycles_the_session_id,
    wrong_password_and_unknown_email_look_the_same,
    failed_sign_ins_are_throttled_per_account,
    a_strangers_guesses_do_not_lock_out_a_known_browser,
    parallel_guesses_cannot_pass_the_limit_together,
    sign_ups_are_limited_per_ip,
    duplicate_emails_are_refused,
    new_passwords_follow_the_asvs_rules,
    sessions_survive_a_restart,
    password_change_signs_out_other_sessions,
    account_deletion_needs_the_password,
    cross_site_requests_are_refused,
    the_public_url_decides_cookies_origins_and_hosts,
    signed_in_devices_are_listed_and_can_be_signed_out,
    a_sign_in_ends_after_its_absolute_lifetime,
    health_and_request_ids,
    every_response_carries_the_security_headers,
);

/// ASVS 4.0 V3.4.2 (HttpOnly), V3.4.3 (SameSite), V3.2.1 (a new session at sign-up).
async fn sign_up_starts_a_secure_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let email = unique_email("Coach");
    let response = app
        .sign_up(&client, &format!("  {email}  "), PASSWORD)
        .await;
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{}",
        response.status()
    );
    let cookie = session_cookie(&response).expect("session cookie set");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "loopback serves plain http: {cookie}"
    );
    assert!(cookie.contains("Max-Age="), "inactivity expiry: {cookie}");
    assert_eq!(app.current_email(&client).await, Some(email.to_lowercase()));

    let events = app.audit_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "sign_up");
    assert!(events[0].1.is_some());
}

/// ASVS 4.0 V3.2.1: a new session token at every sign-in.
async fn sign_in_cycles_the_session_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let email = unique_email("cycle");
    let first = session_cookie(&app.sign_up(&client, &email, PASSWORD).await).unwrap();
    let second = session_cookie(&app.sign_in(&client, &email, PASSWORD).await).unwrap();
    let id = |c: &str| c.split(';').next().unwrap().to_string();
    assert_ne!(id(&first), id(&second), "a new session id at sign-in");
    assert_eq!(app.current_email(&client).await, Some(email.clone()));

    let out = app.call(&client, "sign_out", &[]).await;
    assert!(!out.status().is_server_error());
    assert_eq!(app.current_email(&client).await, None);
    let kinds: Vec<String> = app.audit_events().await.into_iter().map(|e| e.0).collect();
    for expected in ["sign_up", "sign_in_ok", "sign_out"] {
        assert!(kinds.contains(&expected.to_string()), "{kinds:?}");
    }
}

async fn wrong_password_and_unknown_email_look_the_same(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let email = unique_email("same");
    app.sign_up(&client, &email, PASSWORD).await;
    app.call(&client, "sign_out", &[]).await;

    let wrong = app.sign_in(&client, &email, "not-the-password").await;
    assert_eq!(wrong.status(), 401);
    let wrong_body = wrong.text().await.unwrap();
    let unknown = app
        .sign_in(&client, &unique_email("nobody"), PASSWORD)
        .await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(unknown.text().await.unwrap(), wrong_body);
    assert_eq!(wrong_body, r#"{"code":"invalid_credentials"}"#);

    let invalid = app.sign_in(&client, "not-an-email", PASSWORD).await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(error_code(invalid).await, "invalid_input");
}

/// ASVS 4.0 V2.2.1: 50 wrong passwords sent at once for one account: the limit of 5 holds,
/// because each attempt reserves its failure before the hash is checked.
async fn parallel_guesses_cannot_pass_the_limit_together(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.client();
    let email = unique_email("raced");
    app.sign_up(&owner, &email, PASSWORD).await;
    let attempts = (0..50).map(|_| {
        let (app, email) = (&app, email.clone());
        async move {
            let stranger = app.client();
            app.sign_in(&stranger, &email, "a-wrong-guess-123")
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let verified = statuses.iter().filter(|&&s| s == 401).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert!(
        verified <= 5,
        "{verified} guesses reached the hash: {statuses:?}"
    );
    assert_eq!(verified + refused, 50, "{statuses:?}");
    let kinds: Vec<String> = app.audit_events().await.into_iter().map(|e| e.0).collect();
    assert!(kinds.iter().filter(|k| *k == "sign_in_failed").count() <= 5);
}

async fn failed_sign_ins_are_throttled_per_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let email = unique_email("locked");
    app.sign_up(&client, &email, PASSWORD).await;
    app.call(&client, "sign_out", &[]).await;
    for _ in 0..5 {
        assert_eq!(
            app.sign_in(&client, &email, "not-the-password")
                .await
                .status(),
            401
        );
    }
    let locked = app.sign_in(&client, &email, PASSWORD).await;
    assert_eq!(locked.status(), 429);
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(error_code(locked).await, "rate_limited");
    assert_eq!(app.current_email(&client).await, None);
    let kinds: Vec<String> = app.audit_events().await.into_iter().map(|e| e.0).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "sign_in_failed").count(), 5);
    assert!(kinds.contains(&"lockout".to_string()));

    // Another account from the same address is not locked.
    let other = unique_email("other");
    app.sign_up(&client, &other, PASSWORD).await;
    assert_eq!(app.current_email(&client).await, Some(other));
}

/// ASVS 4.0 V2.2.1 with OWASP's device cookies: the account locks against unknown browsers,
/// and a browser that signed in before keeps its own allowance.
async fn a_strangers_guesses_do_not_lock_out_a_known_browser(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let coach = app.client();
    let email = unique_email("known");
    let signed_up = app.sign_up(&coach, &email, PASSWORD).await;
    let device_cookie =
        set_cookie_named(&signed_up, "airtime_device").expect("a device cookie at sign-up");
    assert!(device_cookie.contains("HttpOnly") && device_cookie.contains("Max-Age=31536000"));
    app.call(&coach, "sign_out", &[]).await;

    let stranger = app.client();
    for _ in 0..5 {
        let r = app.sign_in(&stranger, &email, "not-the-password").await;
        assert_eq!(r.status(), 401);
    }
    let locked = app.sign_in(&stranger, &email, PASSWORD).await;
    assert_eq!(locked.status(), 429, "unknown browsers are locked out");

    let known = app.sign_in(&coach, &email, PASSWORD).await;
    assert!(known.status().is_success(), "{}", known.status());
    assert_eq!(
        app.current_email(&coach).await.as_deref(),
        Some(email.as_str())
    );

    // A device cookie for another account, or a forged one, is an unknown browser.
    let forged = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/api/sign_in", app.base))
        .header("origin", &app.base)
        .header(
            "cookie",
            format!("airtime_device={}.{}", "a".repeat(32), "b".repeat(32)),
        )
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 429);
}

async fn sign_ups_are_limited_per_ip(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.signups_per_ip_per_hour = 2).await;
    let email = unique_email("many");
    let r = app.sign_up(&app.client(), &email, PASSWORD).await;
    assert!(!r.status().is_client_error(), "{}", r.status());
    // Asking whether an email has an account costs an attempt too (ASVS V2.2.1).
    let taken = app.sign_up(&app.client(), &email, PASSWORD).await;
    assert_eq!(taken.status(), 409);
    let refused = app
        .sign_up(&app.client(), &unique_email("many"), PASSWORD)
        .await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
}

async fn duplicate_emails_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email("dup");
    app.sign_up(&app.client(), &email, PASSWORD).await;
    let again = app
        .sign_up(&app.client(), &email.to_uppercase(), PASSWORD)
        .await;
    assert_eq!(again.status(), 409);
    assert_eq!(error_code(again).await, "email_taken");

    let short = app
        .sign_up(&app.client(), &unique_email("short"), "short")
        .await;
    assert_eq!(short.status(), 422);
    let body: serde_json::Value = short.json().await.unwrap();
    assert_eq!(body["field"], "password");
}

/// ASVS 4.0 V2.1.1 (12 characters), V2.1.2 (long passphrases, bounded), V2.1.7 (breached list).
async fn new_passwords_follow_the_asvs_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert!(refused(&app, "eleven-char").await.contains("at least 12"));
    // On the 1.46-million-entry list only (not the short list built into the binary), and
    // in capitals: the list is checked as typed and in lower case.
    assert!(refused(&app, "chocolatecake1").await.contains("too common"));
    assert!(refused(&app, "CHOCOLATECAKE1").await.contains("too common"));
    let long = "a-long-passphrase ".repeat(60);
    assert!(refused(&app, &long).await.contains("at most 1024 bytes"));
    let longest = "b".repeat(1024);
    let r = app
        .sign_up(&app.client(), &unique_email("longest"), &longest)
        .await;
    assert!(r.status().is_success(), "{}", r.status());

    // A sign-in with a password no account can have is refused like any wrong one.
    let email = unique_email("cap");
    app.sign_up(&app.client(), &email, PASSWORD).await;
    let huge = "c".repeat(100_000);
    let r = app.sign_in(&app.client(), &email, &huge).await;
    assert_eq!(r.status(), 401);
}

async fn refused(app: &TestApp, password: &str) -> String {
    let r = app
        .sign_up(&app.client(), &unique_email("rules"), password)
        .await;
    assert_eq!(r.status(), 422, "{password}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["field"], "password");
    body["message"].as_str().unwrap().to_string()
}

async fn sessions_survive_a_restart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let email = unique_email("restart");
    let cookie = session_cookie(&app.sign_up(&client, &email, PASSWORD).await).unwrap();
    let cookie_pair = cookie.split(';').next().unwrap().to_string();
    let app = app.restart().await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/current_user", app.base))
        .header("origin", &app.base)
        .header("cookie", cookie_pair)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["email"], email);
}

/// ASVS 4.0 V3.3.3: changing the password ends every other session.
async fn password_change_signs_out_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (laptop, phone) = (app.client(), app.client());
    let email = unique_email("change");
    app.sign_up(&laptop, &email, PASSWORD).await;
    app.sign_in(&phone, &email, PASSWORD).await;
    assert_eq!(app.current_email(&phone).await, Some(email.clone()));

    let new_password = "even-higher-2027";
    let wrong = app
        .call(
            &laptop,
            "change_password",
            &[
                ("current_password", "not-the-password"),
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 403);
    assert_eq!(error_code(wrong).await, "wrong_password");

    let changed = app
        .call(
            &laptop,
            "change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await;
    assert!(changed.status().is_success(), "{}", changed.status());
    assert_eq!(app.current_email(&laptop).await, Some(email.clone()));
    assert_eq!(
        app.current_email(&phone).await,
        None,
        "the other session is signed out"
    );
    assert_eq!(app.sign_in(&phone, &email, PASSWORD).await.status(), 401);
    app.sign_in(&phone, &email, new_password).await;
    assert_eq!(app.current_email(&phone).await, Some(email));
}

async fn account_deletion_needs_the_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let email = unique_email("delete");
    app.sign_up(&client, &email, PASSWORD).await;
    let refused = app
        .call(
            &client,
            "delete_account",
            &[("password", "not-the-password")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(app.current_email(&client).await, Some(email.clone()));

    let deleted = app
        .call(&client, "delete_account", &[("password", PASSWORD)])
        .await;
    assert!(!deleted.status().is_client_error() && !deleted.status().is_server_error());
    assert_eq!(app.current_email(&client).await, None);
    assert_eq!(app.sign_in(&client, &email, PASSWORD).await.status(), 401);
    let kinds: Vec<String> = app.audit_events().await.into_iter().map(|e| e.0).collect();
    assert!(kinds.contains(&"account_deleted".to_string()), "{kinds:?}");

    let anonymous = app
        .call(&app.client(), "delete_account", &[("password", PASSWORD)])
        .await;
    assert_eq!(anonymous.status(), 401);
}

/// ASVS 4.0 V4.2.2: state-changing requests from another origin are refused.
async fn cross_site_requests_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let form = [
        ("email", "x@example.com"),
        ("password", PASSWORD),
        ("confirm_password", PASSWORD),
    ];
    let url = format!("{}/api/sign_up", app.base);
    let evil = reqwest::Client::new()
        .post(&url)
        .header("origin", "http://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    let anonymous = reqwest::Client::new()
        .post(&url)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403, "no Origin and no Referer");
    let page = reqwest::get(format!("{}/signin", app.base)).await.unwrap();
    assert_eq!(page.status(), 200, "reads are not affected");
}

/// ASVS 4.0 V3.4.1 (Secure), V3.4.4 (`__Host-`), V4.2.2 (CSRF: the origin, scheme included),
/// V14.5.x (only this host): behind a TLS proxy at https://airtime.test.
async fn the_public_url_decides_cookies_origins_and_hosts(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.public_url = Some(PublicUrl::parse("https://airtime.test").unwrap());
        s.cookie_secure = true;
    })
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |origin: &'static str, host: &'static str| {
        client
            .post(format!("{}/api/sign_up", app.base))
            .header("host", host)
            .header("origin", origin)
            .form(&[
                ("email", unique_email("public")),
                ("password", PASSWORD.to_string()),
                ("confirm_password", PASSWORD.to_string()),
            ])
            .send()
    };
    let signed_up = post("https://airtime.test", "airtime.test").await.unwrap();
    assert!(signed_up.status().is_success(), "{}", signed_up.status());
    let cookie =
        set_cookie_named(&signed_up, "__Host-airtime_session").expect("a __Host- session cookie");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert!(signed_up
        .headers()
        .contains_key("strict-transport-security"));

    let plain = post("http://airtime.test", "airtime.test").await.unwrap();
    assert_eq!(plain.status(), 403, "same host, another scheme");
    let rebound = post("https://airtime.test", "evil.test").await.unwrap();
    assert_eq!(rebound.status(), 421, "a request for another host");

    let page = client
        .get(format!("{}/signin?next=1", app.base))
        .header("host", "evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 308);
    assert_eq!(
        page.headers()["location"],
        "https://airtime.test/signin?next=1"
    );
    let health = client
        .get(format!("{}/healthz", app.base))
        .header("host", "10.0.0.7:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "load balancers probe by address");
}

/// ASVS 4.0 V3.3.4: a user can see the sessions of the account and end any of them.
async fn signed_in_devices_are_listed_and_can_be_signed_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email("devices");
    let laptop = app.client();
    app.sign_up(&laptop, &email, PASSWORD).await;
    let phone = app.client();
    app.sign_in(&phone, &email, PASSWORD).await;
    let tablet = app.client();
    app.sign_in(&tablet, &email, PASSWORD).await;

    let devices = devices_seen_by(&app, &laptop).await;
    assert_eq!(devices.len(), 3, "{devices:?}");
    let current: Vec<_> = devices.iter().filter(|d| d["current"] == true).collect();
    assert_eq!(current.len(), 1, "{devices:?}");
    assert!(devices
        .iter()
        .all(|d| d["ip"] == "127.0.0.1" && d["last_seen"].as_str().unwrap().ends_with("UTC")));

    // The phone signs the tablet out.
    let phone_view = devices_seen_by(&app, &phone).await;
    let tablet_id = phone_view
        .iter()
        .find(|d| d["current"] == false && d["id"] != current[0]["id"])
        .map(|d| d["id"].as_str().unwrap().to_string())
        .unwrap();
    let ended = app.call(&phone, "end_session", &[("id", &tablet_id)]).await;
    assert!(ended.status().is_success(), "{}", ended.status());
    assert_eq!(app.current_email(&tablet).await, None);
    assert_eq!(
        app.current_email(&laptop).await.as_deref(),
        Some(email.as_str())
    );
    let again = app.call(&phone, "end_session", &[("id", &tablet_id)]).await;
    assert_eq!(again.status(), 404);

    // Another account's session cannot be ended from here.
    let stranger = app.client();
    app.sign_up(&stranger, &unique_email("stranger"), PASSWORD)
        .await;
    let theirs = app
        .call(
            &stranger,
            "end_session",
            &[("id", phone_view[0]["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(theirs.status(), 404);

    // The laptop signs out everywhere else.
    let everywhere = app.call(&laptop, "end_other_sessions", &[]).await;
    assert_eq!(everywhere.json::<u64>().await.unwrap(), 1);
    assert_eq!(app.current_email(&phone).await, None);
    assert_eq!(
        app.current_email(&laptop).await.as_deref(),
        Some(email.as_str())
    );
    assert_eq!(devices_seen_by(&app, &laptop).await.len(), 1);
    let kinds: Vec<String> = app
        .audit_events()
        .await
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert!(kinds.contains(&"session_ended".to_string()), "{kinds:?}");
    assert!(
        kinds.contains(&"other_sessions_ended".to_string()),
        "{kinds:?}"
    );

    // Signing out removes the row.
    app.call(&laptop, "sign_out", &[]).await;
    app.sign_in(&phone, &email, PASSWORD).await;
    assert_eq!(devices_seen_by(&app, &phone).await.len(), 1);
}

async fn devices_seen_by(app: &TestApp, client: &reqwest::Client) -> Vec<serde_json::Value> {
    let response = app.call(client, "signed_in_devices", &[]).await;
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

/// ASVS 4.0 V3.3.2: however active, a sign-in ends after the absolute lifetime.
async fn a_sign_in_ends_after_its_absolute_lifetime(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.session_lifetime = std::time::Duration::from_secs(2);
    })
    .await;
    let client = app.client();
    let email = unique_email("lifetime");
    app.sign_up(&client, &email, PASSWORD).await;
    assert_eq!(
        app.current_email(&client).await.as_deref(),
        Some(email.as_str())
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(app.current_email(&client).await, None);
}

async fn health_and_request_ids(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready = client
        .get(format!("{}/readyz", app.base))
        .header("x-request-id", "probe-42")
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.headers()["x-request-id"], "probe-42");
    let generated = client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(generated.headers()["x-request-id"].len(), 36);
    let missing = client
        .get(format!("{}/no-such-page", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// ASVS 4.0 V14.4.3 (CSP with a nonce), V14.4.4 (nosniff), V14.4.6 (Referrer-Policy),
/// V14.4.7 (no framing), V8.2.1 (personal answers not cached), V12.5.2 (uploaded files never
/// run).
async fn every_response_carries_the_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let page = client.get(format!("{}/", app.base)).send().await.unwrap();
    let api = app.call(&client, "current_user", &[]).await;
    for response in [&page, &api] {
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["cache-control"], "no-store");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("base-uri 'none'"), "{csp}");
        assert!(h["permissions-policy"]
            .to_str()
            .unwrap()
            .contains("camera=(self)"));
    }
    let api_csp = api.headers()["content-security-policy"].to_str().unwrap();
    assert!(api_csp.contains("default-src 'none'"), "{api_csp}");

    // A page's scripts run only with the nonce of that response.
    let page_csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let script_src = page_csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src "))
        .expect("a script-src")
        .to_string();
    assert!(!script_src.contains("'unsafe-inline'") && !script_src.contains(" 'unsafe-eval'"));
    assert!(page_csp.contains("object-src 'none'"), "{page_csp}");
    let nonce = script_src
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce")
        .to_string();
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries it"
    );
    let again = client.get(format!("{}/", app.base)).send().await.unwrap();
    let again_csp = again.headers()["content-security-policy"].to_str().unwrap();
    assert!(!again_csp.contains(&nonce), "a new nonce per response");

    let id = app.upload_clip(&client, "cmj").await;
    let video = client
        .get(format!("{}/api/analyses/{id}/video", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(video.status(), 200);
    let csp = video.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(video.headers()["x-content-type-options"], "nosniff");
}
