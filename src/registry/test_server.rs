//! A one-request-per-connection HTTP responder for the client's unit tests.

/// A one-request-per-connection HTTP responder for flows a plain Distribution registry
/// cannot show (bearer tokens, 429s, missing digest headers): `answer` maps each
/// request's head to a full response; the requests seen are returned by `join`.
pub(super) struct Responder {
    pub(super) base: String,
    handle: std::thread::JoinHandle<Vec<String>>,
}

impl Responder {
    pub(super) fn start(
        requests: usize,
        answer: impl Fn(&str, &str) -> String + Send + 'static,
    ) -> Responder {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let me = base.clone();
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for _ in 0..requests {
                let (mut stream, _) = listener.accept().unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                stream.write_all(answer(&head, &me).as_bytes()).unwrap();
                seen.push(head);
            }
            seen
        });
        Responder { base, handle }
    }

    pub(super) fn join(self) -> Vec<String> {
        self.handle.join().unwrap()
    }
}

pub(super) fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let headers: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A client that talks plain HTTP to the responder at `base`, with fast retries, and the
/// endpoint of an image on it.
pub(super) fn local_client(
    base: &str,
    credentials: super::DockerCredentials,
) -> (super::client::Client, super::client::Endpoint) {
    use super::client::{Client, ClientOptions};
    let host = base.trim_start_matches("http://").to_string();
    let options = ClientOptions {
        insecure: vec![host.clone()],
        backoff: std::time::Duration::from_millis(1),
        timeout: std::time::Duration::from_secs(5),
        ..ClientOptions::default()
    };
    let client = Client::new(options, credentials);
    let image = format!("{host}/team/app:1");
    let endpoint = client.endpoint(&crate::image_ref::ImageRef::parse(&image));
    (client, endpoint)
}
