//! Sends a file with XMLHttpRequest: unlike `fetch`, it reports upload progress.

use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{ProgressEvent, XmlHttpRequest};

use crate::{domain::analysis::UploadAccepted, error::AppError};

pub enum UploadEvent {
    /// Bytes sent so far and in all.
    Progress {
        loaded: f64,
        total: f64,
    },
    Finished(Result<UploadAccepted, AppError>),
}

/// Starts the upload; `on_event` hears progress and then exactly one `Finished`.
pub fn send(
    url: &str,
    file: &web_sys::File,
    on_event: impl Fn(UploadEvent) + 'static,
) -> Result<XmlHttpRequest, AppError> {
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
            on_event(UploadEvent::Finished(outcome(&xhr, &e.type_())));
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
    Ok(xhr)
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
