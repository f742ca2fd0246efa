//! V3 Session management: new session ids, protected cookies, ending sessions, lifetimes.

use super::PASSWORD;
use crate::common::{
    error_code, postgres_available, session_cookie, set_cookie_named, unique_email, Backend,
    TestApp,
};
use airtime::server::public_url::PublicUrl;

on_both_backends!(
    v3_2_1_sign_up_starts_a_new_session_in_a_protected_cookie,
    v3_2_1_sign_in_cycles_the_session_id,
    v3_3_1_signing_out_ends_the_session_on_the_server,
    v3_3_2_a_sign_in_ends_after_its_absolute_lifetime,
    v3_3_3_password_change_signs_out_other_sessions,
    v3_3_4_signed_in_devices_are_listed_and_can_be_signed_out,
    v3_4_1_the_public_url_decides_cookies_origins_and_hosts,
    v3_7_1_deleting_the_account_asks_for_the_password_again,
);

/// ASVS 4.0 V3.2.1 (a new session at sign-up), V3.4.2 (HttpOnly), V3.4.3 (SameSite).
async fn v3_2_1_sign_up_starts_a_new_session_in_a_protected_cookie(backend: Backend) {
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
async fn v3_2_1_sign_in_cycles_the_session_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let email = unique_email("cycle");
    let first = session_cookie(&app.sign_up(&client, &email, PASSWORD).await).unwrap();
    let second = session_cookie(&app.sign_in(&client, &email, PASSWORD).await).unwrap();
    let id = |c: &str| c.split(';').next().unwrap().to_string();
    assert_ne!(id(&first), id(&second), "a new session id at sign-in");
    assert_eq!(app.current_email(&client).await, Some(email.clone()));
    let kinds: Vec<String> = app.audit_events().await.into_iter().map(|e| e.0).collect();
    for expected in ["sign_up", "sign_in_ok"] {
        assert!(kinds.contains(&expected.to_string()), "{kinds:?}");
    }
}

/// `current_user` for a bare session cookie, as a browser would send it.
async fn email_for_cookie(app: &TestApp, cookie_pair: &str) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(format!("{}/api/current_user", app.base))
        .header("origin", &app.base)
        .header("cookie", cookie_pair)
        .send()
        .await
        .unwrap();
    response.json::<serde_json::Value>().await.unwrap()["email"].clone()
}

/// ASVS 4.0 V3.3.1: sessions live on the server (they survive a restart), and signing out
/// ends them there: the old cookie, replayed, is anonymous.
async fn v3_3_1_signing_out_ends_the_session_on_the_server(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let email = unique_email("restart");
    let cookie = session_cookie(&app.sign_up(&client, &email, PASSWORD).await).unwrap();
    let cookie_pair = cookie.split(';').next().unwrap().to_string();
    let app = app.restart().await;
    assert_eq!(email_for_cookie(&app, &cookie_pair).await, email.as_str());

    // The restarted server listens on another port: a client for its origin.
    let client = app.client();
    let signed_in = app.sign_in(&client, &email, PASSWORD).await;
    let cookie = session_cookie(&signed_in).unwrap();
    let cookie_pair = cookie.split(';').next().unwrap().to_string();
    let out = app.call(&client, "sign_out", &[]).await;
    assert!(!out.status().is_server_error());
    assert_eq!(app.current_email(&client).await, None);
    assert!(email_for_cookie(&app, &cookie_pair).await.is_null());
    let kinds: Vec<String> = app.audit_events().await.into_iter().map(|e| e.0).collect();
    assert!(kinds.contains(&"sign_out".to_string()), "{kinds:?}");
}

/// ASVS 4.0 V3.3.2: however active, a sign-in ends after the absolute lifetime.
async fn v3_3_2_a_sign_in_ends_after_its_absolute_lifetime(backend: Backend) {
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

/// ASVS 4.0 V3.3.3: changing the password ends every other session.
async fn v3_3_3_password_change_signs_out_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (laptop, phone) = (app.client(), app.client());
    let email = unique_email("change");
    app.sign_up(&laptop, &email, PASSWORD).await;
    app.sign_in(&phone, &email, PASSWORD).await;
    assert_eq!(app.current_email(&phone).await, Some(email.clone()));

    let new_password = "even-higher-2027";
    let wrong = change_password(&app, &laptop, "not-the-password", new_password).await;
    assert_eq!(wrong.status(), 403);
    assert_eq!(error_code(wrong).await, "wrong_password");

    let changed = change_password(&app, &laptop, PASSWORD, new_password).await;
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

async fn change_password(
    app: &TestApp,
    client: &reqwest::Client,
    current: &str,
    new_password: &str,
) -> reqwest::Response {
    let form = [
        ("current_password", current),
        ("new_password", new_password),
        ("confirm_password", new_password),
    ];
    app.call(client, "change_password", &form).await
}

/// ASVS 4.0 V3.3.4: a user can see the sessions of the account and end any of them.
async fn v3_3_4_signed_in_devices_are_listed_and_can_be_signed_out(backend: Backend) {
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

pub async fn devices_seen_by(app: &TestApp, client: &reqwest::Client) -> Vec<serde_json::Value> {
    let response = app.call(client, "signed_in_devices", &[]).await;
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

/// ASVS 4.0 V3.4.1 (Secure), V3.4.4 (`__Host-`), V4.2.2 (CSRF: the origin, scheme included),
/// V14.5.x (only this host): behind a TLS proxy at https://airtime.test.
async fn v3_4_1_the_public_url_decides_cookies_origins_and_hosts(backend: Backend) {
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

/// ASVS 4.0 V3.7.1: a sensitive change (deleting the account) asks for the password again.
async fn v3_7_1_deleting_the_account_asks_for_the_password_again(backend: Backend) {
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
