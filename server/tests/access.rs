//! With an access token configured, everyone may read and only the token's holders may change
//! anything: checked through the real router, in-process.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

const BOUNDARY: &str = "ips-test-boundary";

fn upload(extra: Option<(header::HeaderName, String)>) -> Request<Body> {
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nPerformance,Video URL\n1.5,https://cdn.example.com/a.mp4\n\r\n--{BOUNDARY}--\r\n"
    );
    let mut request = Request::post("/upload")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from(body))
        .unwrap();
    if let Some((name, value)) = extra {
        request.headers_mut().insert(name, value.parse().unwrap());
    }
    request
}

/// The real router of a server in `data_dir` whose access token is `s3cret`.
fn guarded_router(data_dir: &std::path::Path) -> axum::Router {
    let config = ips_server::config::Config {
        data_dir: data_dir.to_path_buf(),
        demo: false,
        access_token: Some("s3cret".into()),
        ..ips_server::config::Config::default()
    };
    ips_server::web::build(&config).unwrap().router
}

/// Status, the cookie set (if any) and the body of the answer to `request`.
async fn send(router: axum::Router, request: Request<Body>) -> (StatusCode, Option<String>, String) {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let cookie = response.headers().get(header::SET_COOKIE).map(|v| v.to_str().unwrap().to_string());
    let body = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes()).to_string();
    (status, cookie, body)
}

#[tokio::test]
async fn reads_are_open_and_writes_need_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let router = guarded_router(dir.path());
    let send = |request: Request<Body>| send(router.clone(), request);

    assert_eq!(send(Request::get("/").body(Body::empty()).unwrap()).await.0, StatusCode::OK, "reading is open");
    assert_eq!(send(Request::get("/sign-in").body(Body::empty()).unwrap()).await.0, StatusCode::OK);

    let (status, _, body) = send(upload(None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("/sign-in"), "{body}");
    let edit = Request::post("/api/edit_creators")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"run_id":1,"version":0,"edit":{"edit":"hide","creators":[1],"reason":""}}"#))
        .unwrap();
    assert_eq!(send(edit).await.0, StatusCode::UNAUTHORIZED, "server functions too");
    let wrong = Some((header::AUTHORIZATION, "Bearer guess".to_string()));
    assert_eq!(send(upload(wrong)).await.0, StatusCode::UNAUTHORIZED);

    let bearer = Some((header::AUTHORIZATION, "Bearer s3cret".to_string()));
    assert_eq!(send(upload(bearer)).await.0, StatusCode::SEE_OTHER, "a script with the token uploads");

    let sign_in = |token: &str| {
        Request::post("/sign-in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("token={token}")))
            .unwrap()
    };
    let (status, cookie, _) = send(sign_in("nope")).await;
    assert_eq!((status, cookie), (StatusCode::UNAUTHORIZED, None));
    let (status, cookie, _) = send(sign_in("s3cret")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = cookie.expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("s3cret"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    assert_eq!(
        send(upload(Some((header::COOKIE, session)))).await.0,
        StatusCode::SEE_OTHER,
        "a signed-in browser uploads"
    );
}

// The report's statistics use polars, which needs the multi-threaded runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_name_shows_in_the_page_and_in_the_edit_log() {
    let dir = tempfile::tempdir().unwrap();
    // A finished run to edit: three creators, one video each.
    let run = {
        let store = ips_core::store::Store::open(dir.path()).unwrap();
        ips_core::testing::synthetic_run(&store, 3, 1, 2).unwrap()
    };
    let router = guarded_router(dir.path());
    let send = |request: Request<Body>| send(router.clone(), request);
    let page = |cookie: Option<String>| {
        let mut request = Request::get(format!("/runs/{run}")).body(Body::empty()).unwrap();
        if let Some(cookie) = cookie {
            request.headers_mut().insert(header::COOKIE, cookie.parse().unwrap());
        }
        request
    };
    let (_, _, anonymous) = send(page(None)).await;
    assert!(anonymous.contains("Read-only · ") && anonymous.contains("Sign in to make changes"), "{anonymous}");

    let sign_in = Request::post("/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("token=s3cret&name=Ana+R%C3%ADos"))
        .unwrap();
    let (status, cookie, _) = send(sign_in).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = cookie.unwrap().split(';').next().unwrap().to_string();
    let (_, _, signed_in) = send(page(Some(session.clone()))).await;
    // `<!>` is a hydration marker between the text and the name.
    assert!(signed_in.replace("<!>", "").contains("Signed in as Ana Ríos"), "{signed_in}");

    let store = ips_core::store::Store::open(dir.path()).unwrap();
    let version = store.edit_version(run).unwrap();
    let edit = Request::post("/api/edit_creators")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, &session)
        .body(Body::from(format!(
            r#"{{"run_id":{run},"version":{version},"edit":{{"edit":"hide","creators":[1],"reason":"a test"}}}}"#
        )))
        .unwrap();
    let (status, _, body) = send(edit).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let history = ips_core::pipeline::history(&store, run).unwrap();
    assert_eq!(history.lines[0].actor.as_deref(), Some("Ana Ríos"), "{:?}", history.lines);

    let (status, cookie, _) = send(Request::post("/sign-out").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(cookie.unwrap().contains("Max-Age=0"), "the session cookie is dropped");
}
