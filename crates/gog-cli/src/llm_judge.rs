//! The optional LLM judge: a chat model behind an OpenAI-compatible endpoint (vLLM, llama.cpp's
//! server, a hosted API) asked whether an answer means the same as the gold answers. Off unless
//! `--judge-url` is given; the key, if the endpoint needs one, comes from `GOG_JUDGE_API_KEY`.

use anyhow::{Context, Result, bail};
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct JudgeArgs {
    /// Base URL of an OpenAI-compatible API (…/v1); its /chat/completions judges each answer.
    #[arg(long, requires = "judge_model")]
    pub judge_url: Option<String>,
    /// The judge model's name at that endpoint.
    #[arg(long)]
    pub judge_model: Option<String>,
}

#[derive(Debug)]
pub struct LlmJudge {
    http: ureq::Agent,
    url: String,
    model: String,
    key: Option<String>,
}

/// A judge that has not answered in this long is treated as failed.
const TIMEOUT: Duration = Duration::from_secs(120);

impl JudgeArgs {
    pub fn judge(&self) -> Option<LlmJudge> {
        let (url, model) = (self.judge_url.as_ref()?, self.judge_model.as_ref()?);
        let http = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                    .build(),
            )
            .build()
            .new_agent();
        Some(LlmJudge {
            http,
            url: format!("{}/chat/completions", url.trim_end_matches('/')),
            model: model.clone(),
            key: std::env::var("GOG_JUDGE_API_KEY").ok(),
        })
    }
}

impl LlmJudge {
    /// The judge's verdict on `answer`.
    pub fn verdict(&self, question: &str, answer: &str, gold: &[String]) -> Result<bool> {
        let body = serde_json::json!({
            "model": self.model,
            "temperature": 0,
            "messages": [{
                "role": "user",
                "content": gog_agent::judge::llm_prompt(question, answer, gold),
            }],
        });
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json");
        if let Some(key) = &self.key {
            request = request.header("authorization", &format!("Bearer {key}"));
        }
        let mut response = request
            .send(body.to_string().as_bytes())
            .with_context(|| format!("the judge at {} did not answer", self.url))?;
        let reply: serde_json::Value = serde_json::from_str(
            &response
                .body_mut()
                .read_to_string()
                .context("the judge's reply cannot be read")?,
        )
        .context("the judge's reply is not JSON")?;
        let Some(text) = reply
            .pointer("/choices/0/message/content")
            .and_then(serde_json::Value::as_str)
        else {
            bail!("the judge's reply has no choices[0].message.content");
        };
        gog_agent::judge::parse_llm_verdict(text)
            .with_context(|| format!("the judge gave no verdict: {text:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    /// A test double of an OpenAI-compatible server on loopback: answers each request with the
    /// next canned body and hands back what it was sent.
    fn upstream(bodies: Vec<String>) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}/v1", listener.local_addr().expect("an address"));
        let handle = std::thread::spawn(move || {
            let mut requests = Vec::new();
            for body in bodies {
                let (stream, _) = listener.accept().expect("a connection");
                let mut reader = BufReader::new(stream);
                let mut head = String::new();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).expect("a header line");
                    if let Some(value) = line.to_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().expect("a length");
                    }
                    head.push_str(&line);
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut sent = vec![0; length];
                reader.read_exact(&mut sent).expect("the body");
                requests.push(head + &String::from_utf8_lossy(&sent));
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                reader
                    .get_mut()
                    .write_all(reply.as_bytes())
                    .expect("the reply");
            }
            requests
        });
        (url, handle)
    }

    fn completion(content: &str) -> String {
        serde_json::json!({"choices": [{"message": {"role": "assistant", "content": content}}]})
            .to_string()
    }

    #[test]
    fn asks_an_openai_compatible_endpoint_and_reads_its_verdict() {
        let (url, server) = upstream(vec![
            completion("The answers agree.\nJudgement: 1"),
            completion("Judgement: 0"),
            completion("I cannot tell."),
            "{\"error\": \"overloaded\"}".into(),
        ]);
        let judge = LlmJudge {
            key: Some("sk-test".into()),
            ..JudgeArgs {
                judge_url: Some(url),
                judge_model: Some("judge-7b".into()),
            }
            .judge()
            .expect("a judge")
        };
        let gold = ["1889".to_string()];
        assert!(judge.verdict("When?", "in 1889", &gold).expect("a verdict"));
        assert!(!judge.verdict("When?", "1900", &gold).expect("a verdict"));
        let none = judge
            .verdict("When?", "1889", &gold)
            .expect_err("no verdict");
        assert!(format!("{none:#}").contains("no verdict"), "{none:#}");
        let malformed = judge
            .verdict("When?", "1889", &gold)
            .expect_err("no choices");
        assert!(
            format!("{malformed:#}").contains("no choices"),
            "{malformed:#}"
        );

        let requests = server.join().expect("the test double");
        assert!(
            requests[0].starts_with("POST /v1/chat/completions "),
            "{}",
            requests[0]
        );
        assert!(
            requests[0]
                .to_lowercase()
                .contains("authorization: bearer sk-test")
        );
        let body = &requests[0][requests[0].find("\r\n\r\n").expect("a body") + 4..];
        let body: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(body["model"], "judge-7b");
        assert!(
            body["messages"][0]["content"]
                .as_str()
                .expect("text")
                .contains("in 1889")
        );
    }

    #[test]
    fn an_unreachable_judge_is_an_error_not_a_verdict() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}/v1", listener.local_addr().expect("an address"));
        drop(listener);
        let judge = JudgeArgs {
            judge_url: Some(url),
            judge_model: Some("judge".into()),
        }
        .judge()
        .expect("a judge");
        let err = judge.verdict("Q", "A", &["A".into()]).expect_err("refused");
        assert!(format!("{err:#}").contains("did not answer"), "{err:#}");
    }
}
