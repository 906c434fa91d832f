//! The same cases on a local directory and on S3 (moto on 127.0.0.1).

use super::*;

fn cases(media: &MediaStore, scratch: &Path) {
    assert_eq!(media.get("faces/missing.jpg").unwrap(), None);
    assert!(!media.exists("faces/missing.jpg").unwrap());

    let jpeg = b"\xff\xd8 a face \xff\xd9".to_vec();
    let key = media.put_content_addressed("faces", "jpg", jpeg.clone()).unwrap();
    assert_eq!(key, format!("faces/{}.jpg", crate::hash::sha256_hex(&jpeg)));
    assert!(media.exists(&key).unwrap());
    assert_eq!(media.get(&key).unwrap(), Some(jpeg.clone()));
    // The same content again: the same key, nothing changes.
    assert_eq!(media.put_content_addressed("faces", "jpg", jpeg.clone()).unwrap(), key);

    let video = scratch.join("video.mp4");
    std::fs::write(&video, vec![7u8; 300_000]).unwrap();
    media.put_file("videos/abc.mp4", &video).unwrap();
    let copy = scratch.join("copy.mp4");
    assert!(media.fetch_to("videos/abc.mp4", &copy).unwrap());
    assert_eq!(std::fs::read(&copy).unwrap(), vec![7u8; 300_000]);
    let parts = std::fs::read_dir(scratch)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "part"));
    assert_eq!(parts.count(), 0, "no half-written file left");
    assert!(!media.fetch_to("videos/none.mp4", &scratch.join("none.mp4")).unwrap());
    assert!(!scratch.join("none.mp4").exists());

    // As a machine's data directory caches the store: published once, brought home where missing.
    let machine_a = scratch.join("a");
    let still = machine_a.join("stills/s1.jpg");
    std::fs::create_dir_all(still.parent().unwrap()).unwrap();
    std::fs::write(&still, b"stills").unwrap();
    let key = key_of(&machine_a, &still).unwrap();
    assert_eq!(key, "stills/s1.jpg");
    media.publish(&key, &still).unwrap();
    media.publish(&key, &still).unwrap();
    let machine_b = scratch.join("b");
    let there = machine_b.join(&key);
    assert!(media.bring_home(&key, &there).unwrap(), "created its directory and fetched it");
    assert_eq!(std::fs::read(&there).unwrap(), b"stills");
    std::fs::write(&there, b"kept").unwrap();
    assert!(media.bring_home(&key, &there).unwrap());
    assert_eq!(std::fs::read(&there).unwrap(), b"kept", "a file already home is not fetched again");
    assert!(!media.bring_home("stills/none.jpg", &machine_b.join("stills/none.jpg")).unwrap());
    assert!(key_of(&machine_a, &there).is_err(), "a file outside the data directory has no key");
}

#[test]
fn a_local_directory_keeps_media() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("media");
    let media = MediaStore::open(&format!("file://{}", root.display()), &[]).unwrap();
    cases(&media, dir.path());
    let face = std::fs::read_dir(root.join("faces")).unwrap().count();
    assert_eq!(face, 1, "files land under the directory, by key");
}

#[test]
fn an_s3_bucket_keeps_media() {
    let s3 = crate::testing::TempS3::start("ips-media").expect("moto_server starts (tools/setup.sh installs it)");
    let options = s3.options();
    let options: Vec<(&str, &str)> = options.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let media = MediaStore::open("s3://ips-media/run-data", &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    cases(&media, dir.path());
    // A second store on the same bucket (another machine) sees what the first wrote.
    let other = MediaStore::open("s3://ips-media/run-data", &options).unwrap();
    assert!(other.exists("videos/abc.mp4").unwrap());
    let elsewhere = MediaStore::open("s3://ips-media/other-prefix", &options).unwrap();
    assert!(!elsewhere.exists("videos/abc.mp4").unwrap(), "the prefix separates stores");
}

#[test]
fn a_bad_media_url_is_refused_with_its_reason() {
    let err = |url: &str| MediaStore::open(url, &[]).err().expect("refused").to_string();
    assert!(err("ftp://host/x").contains("unknown scheme \"ftp\""), "{}", err("ftp://host/x"));
    assert!(err("not a url").contains("media URL \"not a url\""), "{}", err("not a url"));
}

#[tokio::test]
async fn a_media_store_can_be_dropped_inside_async_code() {
    let dir = tempfile::tempdir().unwrap();
    let media = MediaStore::open(&format!("file://{}", dir.path().display()), &[]).unwrap();
    media.put("x/y.txt", b"y".to_vec()).unwrap();
    drop(media);
}
