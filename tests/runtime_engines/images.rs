//! Image tests: builds that fail loudly and never pull, derived per-profile images,
//! rootfs imports, and the (ignored, slow) Debian bootstrap copied between engines.

use std::collections::BTreeMap;
use std::time::Instant;

use lasso::runtime::*;

use super::support::*;

#[tokio::test]
async fn builds_surface_engine_errors_and_never_pull() {
    let Some(e) = engine().await else { return };
    let tag = format!("{}:latest", unique("badbuild"));
    let df =
        format!("FROM {BASE_IMAGE}\nRUN [\"/bin/sh\", \"-c\", \"echo boom-marker >&2; exit 7\"]\n");
    let err = e
        .build_image(&tag, &[], &df, &BTreeMap::new(), |_| {})
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, RuntimeError::BuildFailed { .. }), "{msg}");
    assert!(msg.contains('7'), "{msg}");
    assert!(!e.image_exists(&tag).await.unwrap());
    let err = e
        .build_image(
            &tag,
            &[],
            "FROM lasso-rt-not-local:1\n",
            &BTreeMap::new(),
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RuntimeError::BuildFailed { .. }), "{err}");

    // A per-profile image is a labelled build FROM the base; it runs as a sandbox.
    let mut labels = BTreeMap::new();
    labels.insert("lasso.profile".to_string(), "unit".to_string());
    let mut lines = 0;
    e.derive_image(&tag, BASE_IMAGE, &labels, |ev| {
        if matches!(ev, ProgressEvent::Line(_)) {
            lines += 1
        }
    })
    .await
    .unwrap();
    assert!(lines > 0);
    assert!(e.image_exists(&tag).await.unwrap());
    let sb = launch(&e, "derived", |s| s.image = tag.clone()).await;
    assert_eq!(sh_ok(&e, &sb.id, "echo derived").await, "derived\n");
    drop(sb);
    e.remove_image(&tag, true).await.unwrap();
}

#[tokio::test]
async fn imported_rootfs_runs_as_a_sandbox() {
    let Some(e) = engine().await else { return };
    // A minimal rootfs: static busybox plus the applets the runtime needs.
    let dir = tempfile::tempdir().unwrap();
    let tar_path = dir.path().join("rootfs.tar");
    {
        let mut b = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
        b.append_path_with_name(BUSYBOX_PATH, "bin/busybox")
            .unwrap();
        for applet in ["sh", "sleep", "timeout", "cat", "tr", "grep", "kill", "ps"] {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            h.set_mode(0o777);
            b.append_link(&mut h, format!("bin/{applet}"), "busybox")
                .unwrap();
        }
        let marker = b"imported\n";
        let mut h = tar::Header::new_gnu();
        h.set_size(marker.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, "etc/lasso-marker", &marker[..])
            .unwrap();
        b.finish().unwrap();
    }
    let tag = format!("{}:latest", unique("import"));
    let mut events = Vec::new();
    e.import_rootfs(&tag, &tar_path, |ev| events.push(ev))
        .await
        .unwrap();
    assert!(
        matches!(events.first(), Some(ProgressEvent::Phase(_))),
        "{events:?}"
    );
    let sb = launch(&e, "import", |s| s.image = tag.clone()).await;
    assert_eq!(
        sh_ok(&e, &sb.id, "cat /etc/lasso-marker").await,
        "imported\n"
    );
    drop(sb);
    e.remove_image(&tag, true).await.unwrap();
    assert!(!e.image_exists(&tag).await.unwrap());
}

#[tokio::test]
#[ignore = "slow (~1 min): debootstrap needs root, debootstrap and a Debian mirror"]
async fn debian_image_with_jq_on_one_engine_copied_to_the_other() {
    let Some(e) = engine().await else { return };
    let tag = "lasso-rt-debian-jq:latest";
    let base = tempfile::tempdir().unwrap();
    let opts = DebianOptions::new(base.path().join("rootfs"), vec!["jq".into()]);
    let t = Instant::now();
    let mut lines = 0usize;
    build_debian_image(&e, tag, &opts, |ev| match ev {
        ProgressEvent::Phase(p) => eprintln!("[{}] phase: {p}", e.kind()),
        ProgressEvent::Line(_) => lines += 1,
    })
    .await
    .unwrap();
    eprintln!(
        "[{}] debian+jq image built in {:?} ({lines} progress lines)",
        e.kind(),
        t.elapsed()
    );
    assert!(lines > 10);
    let sb = launch(&e, "debian", |s| s.image = tag.into()).await;
    assert_eq!(sh_ok(&e, &sb.id, "echo '{\"a\":42}' | jq .a").await, "42\n");
    assert_eq!(
        sh_ok(&e, &sb.id, "id -un; echo $HOME").await,
        "sandbox\n/home/sandbox\n"
    );
    drop(sb);

    // Copy into the other engine when it is reachable too (both hosts set in the env).
    let other = match e.kind() {
        EngineKind::Docker => EngineKind::Podman,
        EngineKind::Podman => EngineKind::Docker,
    };
    let mut o = ConnectOptions::from_env().unwrap();
    o.runtime = Some(other);
    match Engine::connect(&o).await {
        Ok(target) => {
            let t = Instant::now();
            e.copy_image_to(&target, tag, |_| {}).await.unwrap();
            eprintln!(
                "[{} -> {}] save/load took {:?}",
                e.kind(),
                other,
                t.elapsed()
            );
            let sb = launch(&target, "debian-copy", |s| s.image = tag.into()).await;
            let version = sh_ok(&target, &sb.id, "jq --version").await;
            assert!(version.starts_with("jq-"), "{version}");
            drop(sb);
            target.remove_image(tag, true).await.unwrap();
        }
        Err(err) => eprintln!("SKIPPED copy to {other}: {err}"),
    }
    e.remove_image(tag, true).await.unwrap();
}
