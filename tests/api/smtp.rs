//! A real SMTP server for the tests (mailin-embedded) on a random port:
//! what it receives is read off the wire, headers and all.
use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use std::sync::{Arc, Mutex};

/// What the SMTP server received: one raw message per DATA.
#[derive(Clone, Default)]
pub struct Inbox {
    pub messages: Arc<Mutex<Vec<String>>>,
    current: Arc<Mutex<Vec<u8>>>,
}

impl Handler for Inbox {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.current.lock().expect("inbox").clear();
        response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.lock().expect("inbox").extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let raw = String::from_utf8_lossy(&self.current.lock().expect("inbox")).into_owned();
        self.messages.lock().expect("inbox").push(raw);
        response::OK
    }
}

/// Starts an SMTP server on `listener`; returns its inbox.
pub fn smtp_server(listener: std::net::TcpListener) -> Inbox {
    let inbox = Inbox::default();
    let mut server = Server::new(inbox.clone());
    server.with_name("mx.test").with_tcp_listener(listener);
    server.with_ssl(SslConfig::None).expect("no TLS");
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    inbox
}

/// An SMTP server on a random port: its URL and inbox.
pub fn smtp() -> (String, Inbox) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    (format!("smtp://127.0.0.1:{port}"), smtp_server(listener))
}
