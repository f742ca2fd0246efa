//! A real SMTP server on loopback that accepts every message and keeps it, so a test can read
//! the emails the app sent: lettre speaks SMTP to it exactly as it would to a relay.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    /// Headers and body as sent, with quoted-printable soft line breaks undone.
    pub text: String,
}

impl Received {
    pub fn subject(&self) -> String {
        self.text
            .lines()
            .find_map(|line| line.strip_prefix("Subject: "))
            .unwrap_or_default()
            .to_string()
    }

    /// The first `http…` URL whose path starts with `path`.
    pub fn link(&self, path: &str) -> Option<String> {
        self.text.split_whitespace().find_map(|word| {
            let start = word.find("http")?;
            let url = &word[start..];
            let after_scheme = url.split_once("://")?.1;
            after_scheme[after_scheme.find('/')?..]
                .starts_with(path)
                .then(|| url.to_string())
        })
    }
}

pub struct SmtpSink {
    /// What `AIRTIME_SMTP_URL` is set to.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    server: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = converse(stream, store).await;
                });
            }
        });
        Self {
            url,
            received,
            server,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The messages to `to` so far, in the order they arrived.
    pub fn received_by(&self, to: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .collect()
    }

    /// The `n`-th message (from 1) to `to`, waiting up to 15 s for it.
    pub async fn nth_to(&self, to: &str, n: usize) -> Received {
        let started = Instant::now();
        loop {
            if let Some(message) = self.received_by(to).get(n - 1) {
                return message.clone();
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "no message {n} to {to}; received: {:?}",
                self.received()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn converse(stream: TcpStream, store: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer.write_all(b"220 sink ESMTP\r\n").await?;
    let mut to = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink\r\n250 8BITMIME\r\n"
        } else if command.starts_with("RCPT TO:") {
            let address = line.trim_end()[8..].trim();
            to.push(address.trim_matches(['<', '>']).to_string());
            b"250 OK\r\n"
        } else if command == "DATA" {
            writer.write_all(b"354 go ahead\r\n").await?;
            let mut text = String::new();
            loop {
                let mut data = String::new();
                if reader.read_line(&mut data).await? == 0 {
                    return Ok(());
                }
                if data == ".\r\n" {
                    break;
                }
                text.push_str(data.strip_prefix('.').unwrap_or(&data));
            }
            let text = text.replace("=\r\n", "").replace("=3D", "=");
            store.lock().unwrap().push(Received {
                to: std::mem::take(&mut to),
                text,
            });
            b"250 queued\r\n"
        } else if command == "QUIT" {
            writer.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            // HELO, MAIL FROM, RSET, NOOP.
            b"250 OK\r\n"
        };
        writer.write_all(reply).await?;
    }
}
