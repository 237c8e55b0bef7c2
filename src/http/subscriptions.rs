//! Subscriptions (R30): graphql-transport-ws at `/graphql/ws` and graphql-sse's distinct
//! connections mode at `/graphql/stream`.
//!
//! Both run the schema's `Subscription` through [`Gated`], which applies the gate's document
//! limits first (async-graphql's WebSocket handler would otherwise run any document), and hold
//! a [`Slot`]: a limit on open subscriptions per client (address) and in total. A subscriber
//! that does not read is dropped by the feed (it never buffers without bound); idle streams get
//! heartbeats; on shutdown the feed completes every stream.
//!
//! async-graphql has no SSE transport, so the graphql-sse adapter is written here over its
//! stream, with axum's `Sse` for the framing and keep-alive comments. The WebSocket loop is
//! written here too (instead of async-graphql-axum's `GraphQLWebSocket::serve`) because that
//! loop neither sends heartbeats nor closes the socket on shutdown, and cannot limit the
//! operations of one connection; async-graphql's protocol state machine does the rest.
use super::Http;
use crate::graphql::prepare::Gate;
use crate::graphql::AppSchema;
use async_graphql::futures_util::{stream, SinkExt, StreamExt};
use async_graphql::http::{WebSocketProtocols, WsMessage};
use async_graphql::parser::types::{ExecutableDocument, Selection};
use async_graphql::{BatchRequest, Data, Executor, Request, Response, ServerError};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use bytes::Bytes;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// Operations one WebSocket connection may run at once.
const OPS_PER_CONNECTION: usize = 20;

/// The open subscriptions of this instance, per client and in total.
pub struct Subscriptions {
    total: usize,
    per_client: usize,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One open subscription; released when dropped.
pub struct Slot {
    owner: Arc<Subscriptions>,
    client: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut g = self.owner.open.lock().unwrap_or_else(|e| e.into_inner());
        g.0 = g.0.saturating_sub(1);
        if let Some(n) = g.1.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                g.1.remove(&self.client);
            }
        }
    }
}

impl Subscriptions {
    pub fn new(total: usize, per_client: usize) -> Arc<Self> {
        Arc::new(Subscriptions {
            total,
            per_client,
            open: Mutex::new((0, HashMap::new())),
        })
    }

    /// A slot for the client, or the Danish reason why not.
    fn acquire(self: &Arc<Self>, client: IpAddr) -> Result<Slot, &'static str> {
        let mut g = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if g.0 >= self.total {
            return Err(
                "Tjenesten har ikke plads til flere abonnementer lige nu. Prøv igen om lidt.",
            );
        }
        let mine = g.1.get(&client).copied().unwrap_or(0);
        if mine >= self.per_client {
            return Err(
                "For mange åbne abonnementer fra samme klient. Luk et, før du åbner et nyt.",
            );
        }
        g.0 += 1;
        g.1.insert(client, mine + 1);
        Ok(Slot {
            owner: self.clone(),
            client,
        })
    }

    /// Open subscriptions now (`/metrics`).
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).0
    }
}

/// The schema behind the gate's document limits, for subscriptions only.
#[derive(Clone)]
pub struct Gated {
    schema: AppSchema,
    gate: Arc<Gate>,
    max_document_bytes: usize,
}

impl Gated {
    fn checked(&self, req: Request) -> Result<Request, ServerError> {
        self.checked_shareable(req).map(|(r, _)| r)
    }

    /// The request with its checked document, and whether subscribers may share its execution
    /// (see [`Shared`]).
    fn checked_shareable(&self, mut req: Request) -> Result<(Request, bool), ServerError> {
        if req.query.len() > self.max_document_bytes {
            return Err(crate::graphql::limits::limit_error(
                "LIMIT_EXCEEDED",
                format!(
                    "Forespørgslen er for stor; højst {} bytes er tilladt.",
                    self.max_document_bytes
                ),
            ));
        }
        let doc = self.gate.check_subscription(
            &req.query,
            req.operation_name.as_deref(),
            &req.variables,
        )?;
        let shareable = live_only(&doc, req.operation_name.as_deref());
        req.set_parsed_query(doc);
        Ok((req, shareable))
    }
}

impl Executor for Gated {
    async fn execute(&self, request: Request) -> Response {
        match self.checked(request) {
            Ok(r) => self.schema.execute(r).await,
            Err(e) => Response::from_errors(vec![e]),
        }
    }

    async fn execute_batch(&self, batch: BatchRequest) -> async_graphql::BatchResponse {
        match batch {
            BatchRequest::Single(r) => async_graphql::BatchResponse::Single(self.execute(r).await),
            BatchRequest::Batch(_) => {
                async_graphql::BatchResponse::Single(Response::from_errors(vec![ServerError::new(
                    "Abonnementer kan ikke samles i en batch.",
                    None,
                )]))
            }
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> async_graphql::futures_util::stream::BoxStream<'static, Response> {
        match self.checked(request) {
            Ok(r) => Executor::execute_stream(&self.schema, r, session_data),
            Err(e) => stream::once(async move { Response::from_errors(vec![e]) }).boxed(),
        }
    }
}

fn gated(h: &Http) -> Gated {
    Gated {
        schema: h.schema.clone(),
        gate: h.gate.clone(),
        max_document_bytes: h.state.config.max_document_bytes,
    }
}

fn peer_of(ext: &axum::http::Extensions) -> Option<SocketAddr> {
    ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)
}

fn client(h: &Http, peer: Option<SocketAddr>, headers: &HeaderMap) -> IpAddr {
    super::rate_limit::client_addr(
        peer.map(|p| p.ip()),
        headers,
        &h.state.config.trusted_proxies,
    )
}

/// A refusal before a stream starts, as GraphQL errors in JSON.
fn refuse(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    let mut r = (status, axum::Json(body)).into_response();
    if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
    r
}

fn too_many(reason: &str) -> HttpResponse {
    refuse(
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_SUBSCRIPTIONS",
        reason,
    )
}

/// The parameters of a GET subscription (graphql-sse).
#[derive(serde::Deserialize)]
pub(super) struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// `GET /graphql/stream?query=…`: a subscription over SSE; or, with an Upgrade, nothing here.
pub(super) async fn sse_get(
    State(h): State<Http>,
    ext: axum::http::Extensions,
    headers: HeaderMap,
    Query(p): Query<GetParams>,
) -> HttpResponse {
    let Some(query) = p.query else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Parameteren query mangler: send subscription-dokumentet i query.",
        );
    };
    let mut req = Request::new(query);
    req.operation_name = p.operation_name;
    for (name, text) in [("variables", p.variables), ("extensions", p.extensions)] {
        let Some(text) = text else { continue };
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v @ serde_json::Value::Object(_)) => {
                if name == "variables" {
                    req.variables = async_graphql::Variables::from_json(v);
                }
            }
            _ => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    &format!("Parameteren {name} skal være et JSON-objekt."),
                )
            }
        }
    }
    sse(h, peer_of(&ext), headers, req)
}

/// `POST /graphql/stream` with a GraphQL request in JSON: a subscription over SSE.
pub(super) async fn sse_post(
    State(h): State<Http>,
    ext: axum::http::Extensions,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> HttpResponse {
    let req = match serde_json::from_slice::<Request>(&body) {
        Ok(r) => r,
        Err(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "Kroppen skal være en GraphQL-forespørgsel i JSON: {\"query\": \"subscription { … }\", \"variables\": {…}}.",
            )
        }
    };
    sse(h, peer_of(&ext), headers, req)
}

fn accepts_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| {
            let m = m.split(';').next().unwrap_or("").trim();
            m.eq_ignore_ascii_case("text/event-stream") || m == "*/*"
        })
}

/// graphql-sse, distinct connections mode: one `next` event per result, then `complete`.
fn sse(h: Http, peer: Option<SocketAddr>, headers: HeaderMap, req: Request) -> HttpResponse {
    if !accepts_event_stream(&headers) {
        return refuse(
            StatusCode::NOT_ACCEPTABLE,
            "NOT_ACCEPTABLE",
            "Abonnementer sendes som text/event-stream; send Accept: text/event-stream.",
        );
    }
    let slot = match h.subscriptions.acquire(client(&h, peer, &headers)) {
        Ok(s) => s,
        Err(reason) => return too_many(reason),
    };
    let heartbeat = h.state.config.subscription_heartbeat;
    let gated = gated(&h);
    let key = shared_key(&req);
    let frames = match gated.checked_shareable(req) {
        Err(e) => {
            let r = Response::from_errors(vec![e]);
            stream::iter([next_frame(&r), complete_frame()]).boxed()
        }
        Ok((req, true)) => h.shared.join(key, gated, req).boxed(),
        Ok((req, false)) => Executor::execute_stream(&gated.schema, req, None)
            .map(|r| next_frame(&r))
            .chain(stream::once(async { complete_frame() }))
            .boxed(),
    };
    let body = with_heartbeats(frames, heartbeat, slot);
    let mut r = HttpResponse::new(axum::body::Body::from_stream(body));
    let hs = r.headers_mut();
    hs.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/event-stream"),
    );
    hs.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    // Proxies such as nginx would otherwise buffer the stream.
    hs.insert(
        header::HeaderName::from_static("x-accel-buffering"),
        header::HeaderValue::from_static("no"),
    );
    r
}

fn next_frame(r: &Response) -> Bytes {
    let data = serde_json::to_string(r).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: next\ndata: {data}\n\n"))
}

fn complete_frame() -> Bytes {
    Bytes::from_static(b"event: complete\ndata: \n\n")
}

/// The frames, with a comment line whenever the stream has been silent for `every`; the slot is
/// held as long as the body (a client that goes away frees it).
fn with_heartbeats(
    frames: stream::BoxStream<'static, Bytes>,
    every: Duration,
    slot: Slot,
) -> impl async_graphql::futures_util::Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    async_stream::stream! {
        let _slot = slot;
        let mut frames = frames;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tokio::select! {
                f = frames.next() => match f {
                    Some(f) => {
                        tick.reset();
                        yield Ok(f);
                    }
                    None => return,
                },
                _ = tick.tick() => yield Ok(Bytes::from_static(b":\n\n")),
            }
        }
    }
}

/// Is the operation a live-only subscription (no `after`: every subscriber of the same document
/// and variables gets the same events from the moment it joins), whose execution can be shared?
fn live_only(doc: &ExecutableDocument, operation: Option<&str>) -> bool {
    let Some(op) = crate::graphql::order::operation(doc, operation) else {
        return false;
    };
    op.selection_set.node.items.iter().all(|i| match &i.node {
        Selection::Field(f) => f.node.arguments.iter().all(|(n, _)| n.node != "after"),
        _ => false,
    })
}

fn shared_key(req: &Request) -> String {
    serde_json::to_string(&(&req.query, &req.operation_name, &req.variables)).unwrap_or_default()
}

/// Live SSE subscriptions that share one execution: subscribers of the same document and
/// variables without `after` get the same events, so the events are resolved and written once
/// per group and the frames fanned out, instead of one async-graphql execution per subscriber
/// (its state was most of what a subscriber cost, `benches/README.md`). A member that falls
/// more than the backlog behind is ended with SUBSCRIBER_TOO_SLOW, as an unshared one is.
#[derive(Default)]
pub struct Shared {
    groups: Mutex<HashMap<String, std::sync::Weak<Group>>>,
}

struct Group {
    frames: broadcast::Sender<Bytes>,
}

impl Shared {
    fn join(
        self: &Arc<Self>,
        key: String,
        gated: Gated,
        req: Request,
    ) -> impl async_graphql::futures_util::Stream<Item = Bytes> + Send + 'static {
        let (group, mut rx) = {
            let mut g = self.groups.lock().unwrap_or_else(|e| e.into_inner());
            match g.get(&key).and_then(std::sync::Weak::upgrade) {
                Some(group) => {
                    let rx = group.frames.subscribe();
                    (group, rx)
                }
                None => {
                    let (tx, rx) = broadcast::channel(256);
                    let group = Arc::new(Group { frames: tx.clone() });
                    g.insert(key.clone(), Arc::downgrade(&group));
                    let shared = self.clone();
                    let mine = Arc::downgrade(&group);
                    tokio::spawn(async move {
                        let mut results = Executor::execute_stream(&gated.schema, req, None);
                        while let Some(r) = results.next().await {
                            // No members left: the group is over.
                            if tx.send(next_frame(&r)).is_err() {
                                break;
                            }
                        }
                        let _ = tx.send(complete_frame());
                        let mut g = shared.groups.lock().unwrap_or_else(|e| e.into_inner());
                        if g.get(&key).is_some_and(|w| w.ptr_eq(&mine)) {
                            g.remove(&key);
                        }
                    });
                    (group, rx)
                }
            }
        };
        async_stream::stream! {
            let _member = group;
            loop {
                match rx.recv().await {
                    Ok(frame) => {
                        let last = frame.starts_with(b"event: complete");
                        yield frame;
                        if last {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let e = crate::error::AppError::too_slow()
                            .into_graphql()
                        .into_server_error(async_graphql::Pos::default());
                        yield next_frame(&Response::from_errors(vec![e]));
                        yield complete_frame();
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        yield complete_frame();
                        return;
                    }
                }
            }
        }
    }
}

/// `GET /graphql/ws`: graphql-transport-ws (and the older subscriptions-transport-ws).
pub(super) async fn ws(
    State(h): State<Http>,
    ext: axum::http::Extensions,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    let Some(protocol) = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Angiv underprotokollen graphql-transport-ws (Sec-WebSocket-Protocol).",
        );
    };
    let slot = match h.subscriptions.acquire(client(&h, peer_of(&ext), &headers)) {
        Ok(s) => s,
        Err(reason) => return too_many(reason),
    };
    let executor = gated(&h);
    let heartbeat = h.state.config.subscription_heartbeat;
    let closing = h.state.read_model.feed.closing();
    // tungstenite's defaults reserve 128 KiB for reading and buffer up to 128 KiB of writes per
    // connection; a subscriber reads a few small messages and gets small events, which go out
    // at once.
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(h.state.config.max_body_bytes)
        .protocols(["graphql-transport-ws", "graphql-ws"])
        .on_upgrade(move |socket| serve_ws(socket, executor, protocol, heartbeat, closing, slot))
        .into_response()
}

async fn serve_ws(
    socket: WebSocket,
    executor: Gated,
    protocol: WebSocketProtocols,
    heartbeat: Duration,
    mut closing: tokio::sync::watch::Receiver<bool>,
    _slot: Slot,
) {
    let (mut sink, input) = socket.split();
    // Operations in flight by the client's own count (subscribe minus complete); beyond the
    // limit the connection is closed with 4429.
    let ops = Arc::new(Mutex::new(std::collections::HashSet::<String>::new()));
    let over = Arc::new(AtomicBool::new(false));
    let input = {
        let (ops, over) = (ops.clone(), over.clone());
        input
            .take_while(|m| std::future::ready(m.is_ok()))
            .filter_map(|m| {
                std::future::ready(match m {
                    Ok(Message::Text(t)) => Some(t.as_bytes().to_vec()),
                    Ok(Message::Binary(b)) => Some(b.to_vec()),
                    _ => None,
                })
            })
            .inspect(move |bytes| {
                #[derive(serde::Deserialize)]
                struct Head {
                    #[serde(rename = "type")]
                    kind: String,
                    id: Option<String>,
                }
                if let Ok(Head { kind, id: Some(id) }) = serde_json::from_slice::<Head>(bytes) {
                    let mut g = ops.lock().unwrap_or_else(|e| e.into_inner());
                    match kind.as_str() {
                        "subscribe" | "start" => {
                            g.insert(id);
                            if g.len() > OPS_PER_CONNECTION {
                                over.store(true, Ordering::Release);
                            }
                        }
                        "complete" | "stop" => {
                            g.remove(&id);
                        }
                        _ => {}
                    }
                }
            })
    };
    let mut out = Box::pin(async_graphql::http::WebSocket::new(
        executor, input, protocol,
    ));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    let mut going: Option<tokio::time::Instant> = None;
    let close = |code: u16, reason: &str| {
        Message::Close(Some(CloseFrame {
            code,
            reason: reason.to_string().into(),
        }))
    };
    loop {
        if over.load(Ordering::Acquire) {
            let _ = sink
                .send(close(
                    4429,
                    "For mange samtidige abonnementer på forbindelsen",
                ))
                .await;
            break;
        }
        let grace = async {
            match going {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            m = out.next() => match m {
                Some(WsMessage::Text(t)) => {
                    // Server → client messages of finished operations also end them here.
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&t) {
                        if v.get("type").and_then(|t| t.as_str()) == Some("complete") {
                            if let Some(id) = v.get("id").and_then(|i| i.as_str()) {
                                ops.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
                            }
                        }
                    }
                    if sink.send(Message::Text(t.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    let _ = sink.send(close(code, &reason)).await;
                    break;
                }
                None => break,
            },
            _ = tick.tick() => {
                // graphql-transport-ws has its own ping (answered by a pong message); the older
                // protocol has the keep-alive message "ka".
                let beat = match protocol {
                    WebSocketProtocols::GraphQLWS => r#"{"type":"ping"}"#,
                    WebSocketProtocols::SubscriptionsTransportWS => r#"{"type":"ka"}"#,
                };
                if sink.send(Message::Text(beat.into())).await.is_err() {
                    break;
                }
            }
            r = closing.changed(), if going.is_none() => {
                // The feed completes the streams; their `complete` messages go out first.
                let _ = r;
                going = Some(tokio::time::Instant::now() + Duration::from_millis(300));
            }
            _ = grace => {
                let _ = sink.send(close(1001, "Tjenesten lukker")).await;
                break;
            }
        }
    }
}
