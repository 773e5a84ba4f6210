//! The HTTP request the shell sends for one [`PageRequest`] ([`outgoing`]): the API's base URL
//! and the request's path and query, and each provider's authentication: Cloudflare and
//! Livepeer a bearer token, Mux and FastPix HTTP Basic, Gcore `APIKey`, IVS AWS SigV4
//! ([`super::sigv4`], service `ivs`).
//!
//! Invariants (each has a test below): credentials travel only in the `authorization` header
//! (and SigV4's signature); an [`Outgoing`]'s `Debug` shows no credential; building a request
//! never fails with a credential in its message.

use std::fmt;

use base64::{engine::general_purpose::STANDARD, Engine};

use super::apis::PageRequest;
use super::settings::{Api, ApiAccess};
use super::sigv4::{self, AmzDate, Credentials, Scope, SecretAccessKey};
use crate::alerts::render::USER_AGENT;
use crate::alerts::target_url::TargetUrl;

/// One request to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *k == "authorization" {
                        "[redacted]"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("Outgoing")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .finish()
    }
}

/// Why a request could not be built (names only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OutgoingError {
    #[error("the {0} setting is missing")]
    Missing(&'static str),
    #[error("the request could not be signed ({0})")]
    Signing(&'static str),
}

/// The request for `req` to `access`'s API, at `now_secs` (SigV4's time).
pub fn outgoing(
    access: &ApiAccess,
    req: &PageRequest,
    now_secs: u64,
) -> Result<Outgoing, OutgoingError> {
    let secret = |i: usize, name: &'static str| {
        access
            .credentials
            .get(i)
            .map(|s| s.expose())
            .ok_or(OutgoingError::Missing(name))
    };
    let path_and_query = req.path_and_query();
    let mut headers = vec![
        ("accept", "application/json".to_owned()),
        ("user-agent", USER_AGENT.to_owned()),
    ];
    if req.body.is_some() {
        headers.push(("content-type", "application/json".to_owned()));
    }
    let authorization = match access.api {
        Api::Cloudflare => format!("Bearer {}", secret(0, "CF_API_TOKEN")?),
        Api::Livepeer => format!("Bearer {}", secret(0, "LIVEPEER_API_KEY")?),
        Api::Gcore => format!("APIKey {}", secret(0, "GCORE_API_KEY")?),
        Api::Mux => basic(secret(0, "MUX_TOKEN_ID")?, secret(1, "MUX_TOKEN_SECRET")?),
        Api::Fastpix => basic(
            secret(0, "FASTPIX_TOKEN_ID")?,
            secret(1, "FASTPIX_TOKEN_SECRET")?,
        ),
        Api::Ivs => {
            let base = TargetUrl::parse(&access.base_url)
                .map_err(|_| OutgoingError::Signing("base URL"))?;
            let host = base
                .origin()
                .split_once("://")
                .map(|(_, h)| h.to_owned())
                .ok_or(OutgoingError::Signing("base URL"))?;
            // The path the request goes to: the base URL's own path (if any), then the API's.
            let path = [base.path().trim_end_matches('/'), &req.path].concat();
            let credentials = Credentials {
                access_key_id: secret(0, "IVS_AWS_ACCESS_KEY_ID")?.to_owned(),
                secret_access_key: SecretAccessKey::new(Some(
                    secret(1, "IVS_AWS_SECRET_ACCESS_KEY")?.to_owned(),
                ))
                .ok_or(OutgoingError::Missing("IVS_AWS_SECRET_ACCESS_KEY"))?,
                session_token: None,
            };
            let region = secret(2, "IVS_REGION")?;
            let time = AmzDate::from_epoch_seconds(now_secs)
                .map_err(|_| OutgoingError::Signing("time"))?;
            let query: Vec<(&str, &str)> = req
                .query
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let signed_headers: Vec<(&str, &str)> = headers
                .iter()
                .filter(|(k, _)| *k == "content-type")
                .map(|(k, v)| (*k, v.as_str()))
                .collect();
            let signed = sigv4::sign(
                &sigv4::Request {
                    method: req.method.as_str(),
                    host: &host,
                    path: &path,
                    query: &query,
                    headers: &signed_headers,
                    body: req.body.as_deref().unwrap_or("").as_bytes(),
                },
                Scope {
                    region,
                    service: "ivs",
                },
                &credentials,
                &time,
            )
            .map_err(|_| OutgoingError::Signing("SigV4"))?;
            headers.push(("x-amz-date", signed.amz_date));
            signed.authorization
        }
    };
    headers.push(("authorization", authorization));
    Ok(Outgoing {
        method: req.method.as_str(),
        url: format!("{}{path_and_query}", access.base_url),
        headers,
        body: req.body.clone(),
    })
}

/// HTTP Basic: `Basic base64(id:secret)`.
fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::auth::Secret;
    use crate::reconcile::apis;

    fn access(api: Api, base: &str, creds: &[&str]) -> ApiAccess {
        ApiAccess {
            api,
            base_url: base.into(),
            credentials: creds
                .iter()
                .filter_map(|c| Secret::new(Some((*c).to_owned())))
                .collect(),
        }
    }

    fn header<'a>(o: &'a Outgoing, name: &str) -> &'a str {
        o.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    #[test]
    fn each_provider_authenticates_its_documented_way() {
        let cf = access(
            Api::Cloudflare,
            "https://api.cloudflare.com/client/v4",
            &["CFTOKEN", "acc"],
        );
        let o = outgoing(&cf, &apis::cloudflare::first_request("acc"), 0).unwrap();
        assert_eq!(
            o.url,
            "https://api.cloudflare.com/client/v4/accounts/acc/stream/live_inputs"
        );
        assert_eq!(header(&o, "authorization"), "Bearer CFTOKEN");
        let mux = access(Api::Mux, "https://api.mux.com", &["id", "MUXSECRET"]);
        let o = outgoing(&mux, &apis::mux::first_request(), 0).unwrap();
        assert_eq!(
            o.url,
            "https://api.mux.com/video/v1/live-streams?limit=100&page=1"
        );
        assert_eq!(header(&o, "authorization"), "Basic aWQ6TVVYU0VDUkVU");
        let gcore = access(Api::Gcore, "https://api.gcore.com", &["GCOREKEY"]);
        let o = outgoing(&gcore, &apis::gcore::first_request(), 0).unwrap();
        assert_eq!(header(&o, "authorization"), "APIKey GCOREKEY");
        let lp = access(Api::Livepeer, "https://livepeer.studio/api", &["LPKEY"]);
        let o = outgoing(&lp, &apis::livepeer::first_request(), 0).unwrap();
        assert_eq!(o.url, "https://livepeer.studio/api/stream?streamsonly=1");
        assert_eq!(header(&o, "authorization"), "Bearer LPKEY");
        let fp = access(
            Api::Fastpix,
            "https://api.fastpix.io/v1",
            &["fid", "FPSECRET"],
        );
        let o = outgoing(&fp, &apis::fastpix::first_request(), 0).unwrap();
        assert!(header(&o, "authorization").starts_with("Basic "));
        let shown = format!("{o:?}");
        assert!(
            !shown.contains("Basic") && shown.contains("[redacted]"),
            "{shown}"
        );
    }

    #[test]
    fn ivs_is_signed_with_sigv4_for_its_region() {
        let ivs = access(
            Api::Ivs,
            "https://ivs.us-west-2.amazonaws.com",
            &["AKIDEXAMPLE", "IVSSECRETKEY", "us-west-2"],
        );
        let o = outgoing(&ivs, &apis::ivs::first_request(), 1_440_938_160).unwrap();
        assert_eq!(
            (o.method, o.url.as_str()),
            ("POST", "https://ivs.us-west-2.amazonaws.com/ListStreams")
        );
        assert_eq!(header(&o, "x-amz-date"), "20150830T123600Z");
        let auth = header(&o, "authorization");
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-west-2/ivs/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="
            ),
            "{auth}"
        );
        assert_eq!(header(&o, "content-type"), "application/json");
        let shown = format!("{o:?}");
        assert!(
            !shown.contains("IVSSECRETKEY") && !shown.contains("Signature="),
            "{shown}"
        );
        let missing = access(
            Api::Ivs,
            "https://ivs.us-west-2.amazonaws.com",
            &["AKIDEXAMPLE"],
        );
        let err = outgoing(&missing, &apis::ivs::first_request(), 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the IVS_AWS_SECRET_ACCESS_KEY setting is missing"
        );
    }

    #[test]
    fn an_ivs_base_url_with_a_path_is_signed_for_the_path_it_is_sent_to() {
        let keys = ["AKIDEXAMPLE", "IVSSECRETKEY", "us-west-2"];
        let bare = access(Api::Ivs, "https://ivs.example.com", &keys);
        let under = access(Api::Ivs, "https://ivs.example.com/aws/ivs", &keys);
        let req = apis::ivs::first_request();
        let at = 1_440_938_160;
        let (a, b) = (
            outgoing(&bare, &req, at).unwrap(),
            outgoing(&under, &req, at).unwrap(),
        );
        assert_eq!(b.url, "https://ivs.example.com/aws/ivs/ListStreams");
        let signature = |o: &Outgoing| {
            header(o, "authorization")
                .rsplit('=')
                .next()
                .unwrap()
                .to_owned()
        };
        assert_ne!(
            signature(&a),
            signature(&b),
            "the path is part of what is signed"
        );
        // The same as signing the full path by hand.
        let credentials = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SecretAccessKey::new(Some("IVSSECRETKEY".into())).unwrap(),
            session_token: None,
        };
        let by_hand = sigv4::sign(
            &sigv4::Request {
                method: "POST",
                host: "ivs.example.com",
                path: "/aws/ivs/ListStreams",
                query: &[],
                headers: &[("content-type", "application/json")],
                body: req.body.as_deref().unwrap().as_bytes(),
            },
            Scope {
                region: "us-west-2",
                service: "ivs",
            },
            &credentials,
            &AmzDate::from_epoch_seconds(at).unwrap(),
        )
        .unwrap();
        assert_eq!(header(&b, "authorization"), by_hand.authorization);
    }
}
