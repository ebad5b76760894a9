//! A scripted HTTP server on 127.0.0.1 for the LLM-provider tests: it answers a fixed list of
//! responses (one per connection, each on its own thread so a deliberately slow answer does not hold
//! up the next, `Connection: close`), records every request, and stops by itself after its script or
//! a deadline (20 s unless given), whichever comes first.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Scripted {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub delay: Duration,
}

pub fn reply(status: u16, body: String) -> Scripted {
    Scripted { status, headers: vec![], body, delay: Duration::ZERO }
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub struct Server {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(script: Vec<Scripted>) -> Server {
        Server::start_for(script, Duration::from_secs(20))
    }

    /// As `start`, with its own deadline (a replayed run evaluates candidates between requests).
    pub fn start_for(script: Vec<Scripted>, lifetime: Duration) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen_in = Arc::clone(&seen);
        let handle = std::thread::spawn(move || {
            let deadline = Instant::now() + lifetime;
            let mut script = script.into_iter();
            let mut workers = Vec::new();
            let mut next = script.next();
            while let Some(current) = next.take() {
                if Instant::now() >= deadline {
                    break;
                }
                let (stream, _) = match listener.accept() {
                    Ok(s) => s,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                        next = Some(current);
                        continue;
                    }
                    Err(_) => break,
                };
                // One thread per connection, so a deliberately slow answer does not hold up the next.
                let seen = Arc::clone(&seen_in);
                workers.push(std::thread::spawn(move || serve(stream, current, &seen)));
                next = script.next();
            }
            for w in workers {
                let _ = w.join();
            }
        });
        Server { base, seen, handle: Some(handle) }
    }

    pub fn requests(&mut self) -> Vec<Seen> {
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        self.seen.lock().unwrap().clone()
    }
}

fn serve(mut stream: std::net::TcpStream, answer: Scripted, seen: &Mutex<Vec<Seen>>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if let Some(req) = read_request(&mut stream) {
        seen.lock().unwrap().push(req);
    }
    std::thread::sleep(answer.delay);
    let reason = match answer.status {
        200 => "OK",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        _ => "Error",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(answer.body.as_bytes());
    let _ = stream.flush();
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split_whitespace().nth(1)?.to_string();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))).collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&buf[header_end..]).unwrap_or(serde_json::Value::Null);
    Some(Seen { path, headers, body })
}
