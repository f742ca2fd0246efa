//! V14 Configuration: the security headers of every answer, and no cross-origin allowances.

use crate::common::{postgres_available, Backend, TestApp};

on_both_backends!(
    v14_4_3_every_response_carries_the_security_headers,
    v14_5_3_no_other_origin_is_allowed_to_read_answers,
);

/// ASVS 4.0 V14.4.3 (CSP with a nonce), V14.4.4 (nosniff), V14.4.6 (Referrer-Policy),
/// V14.4.7 (no framing), V8.2.1 (personal answers not cached), V12.5.2 (uploaded files never
/// run).
async fn v14_4_3_every_response_carries_the_security_headers(backend: Backend) {
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

/// ASVS 4.0 V14.5.3: no CORS allowance: another origin's preflight and requests get no
/// `Access-Control-Allow-*`, so a page elsewhere cannot read an answer with the user's cookies.
async fn v14_5_3_no_other_origin_is_allowed_to_read_answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = reqwest::Client::new();
    let preflight = client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/current_user", app.base),
        )
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    let read = client
        .get(format!("{}/", app.base))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    for response in [&preflight, &read] {
        let allowances: Vec<_> = response
            .headers()
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-allow"))
            .collect();
        assert!(allowances.is_empty(), "{allowances:?}");
    }
}
