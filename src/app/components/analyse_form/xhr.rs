//! Sends a file with XMLHttpRequest: unlike `fetch`, it reports upload progress.

use std::cell::RefCell;

use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{ProgressEvent, XmlHttpRequest};

use crate::{domain::analysis::UploadAccepted, error::AppError};

thread_local! {
    /// The page's upload in flight. It lives here, not in a `StoredValue<_, LocalStorage>` of
    /// the form: the server renders the form too, may drop its values on another thread, and
    /// a local value dropped there panics (leptos-rs/leptos#4746). The browser has one thread.
    static IN_FLIGHT: RefCell<Option<XmlHttpRequest>> = const { RefCell::new(None) };
}

pub enum UploadEvent {
    /// Bytes sent so far and in all.
    Progress {
        loaded: f64,
        total: f64,
    },
    Finished(Result<UploadAccepted, AppError>),
    /// Stopped by [`cancel`]: nothing to report.
    Cancelled,
}

/// Starts the upload; `on_event` hears progress and then exactly one `Finished` or
/// `Cancelled`.
pub fn send(
    url: &str,
    file: &web_sys::File,
    on_event: impl Fn(UploadEvent) + 'static,
) -> Result<(), AppError> {
    let xhr = XmlHttpRequest::new().map_err(|_| AppError::Unreachable)?;
    xhr.open_with_async("POST", url, true)
        .map_err(|_| AppError::BadRequest)?;
    let content_type = match file.type_() {
        t if t.is_empty() => "application/octet-stream".to_string(),
        t => t,
    };
    let _ = xhr.set_request_header("Content-Type", &content_type);
    xhr.set_request_header("Accept", "application/json")
        .map_err(|_| AppError::BadRequest)?;

    let on_event = std::rc::Rc::new(on_event);
    let progress = {
        let on_event = on_event.clone();
        Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
            if e.length_computable() {
                on_event(UploadEvent::Progress {
                    loaded: e.loaded(),
                    total: e.total(),
                });
            }
        })
    };
    let finished = {
        let on_event = on_event.clone();
        let xhr = xhr.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            // `cancel` takes the request out of flight before aborting it.
            let cancelled = IN_FLIGHT.take().is_none();
            on_event(if cancelled {
                UploadEvent::Cancelled
            } else {
                UploadEvent::Finished(outcome(&xhr, &e.type_()))
            });
        })
    };
    let upload = xhr.upload().map_err(|_| AppError::Unreachable)?;
    upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    xhr.set_onload(Some(finished.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(finished.as_ref().unchecked_ref()));
    xhr.set_onabort(Some(finished.as_ref().unchecked_ref()));
    // One pair of closures per upload, alive as long as the request may call them.
    progress.forget();
    finished.forget();

    xhr.send_with_opt_blob(Some(file))
        .map_err(|_| AppError::Unreachable)?;
    IN_FLIGHT.set(Some(xhr));
    Ok(())
}

/// Stops the upload in flight, if there is one.
pub fn cancel() {
    if let Some(xhr) = IN_FLIGHT.take() {
        let _ = xhr.abort();
    }
}

fn outcome(xhr: &XmlHttpRequest, event: &str) -> Result<UploadAccepted, AppError> {
    if event == "abort" {
        return Err(AppError::BadRequest);
    }
    let status = xhr.status().unwrap_or(0);
    let body = xhr.response_text().ok().flatten().unwrap_or_default();
    if status == 0 || event == "error" {
        return Err(AppError::Unreachable);
    }
    if (200..300).contains(&status) {
        return serde_json::from_str(&body).map_err(|_| AppError::Internal);
    }
    Err(
        serde_json::from_str::<AppError>(&body).unwrap_or(match status {
            413 => AppError::UploadTooLarge { max_mb: 0 },
            403 => AppError::BadRequest,
            _ => AppError::Internal,
        }),
    )
}
