//! Authentication and tenant isolation against a real faissx-server: API keys decide the
//! tenant, and a tenant never sees, opens or changes another tenant's indexes.

mod common;
mod remote;

use common::*;
use faissx::ffi::types::*;
use faissx::protocol::*;
use remote::*;

const KEY_ONE: &str = "key-one-9f8e7d";
const KEY_TWO: &str = "key-two-1a2b3c";

fn keyed_server() -> Server {
    Server::start(&["--auth-keys", &format!("{KEY_ONE}:alpha,{KEY_TWO}:beta")])
}

/// The last error names the server and never echoes a key.
#[track_caller]
fn expect_auth_error(rc: i32, server: &Server) {
    expect_err(rc, FAISSX_ERR_AUTH, &[&server.endpoint]);
    let message = last_error();
    for key in [KEY_ONE, KEY_TWO, "wrong-key-55aa"] {
        assert!(!message.contains(key), "the message shows a key: {message}");
    }
}

#[test]
fn requests_need_a_known_key() {
    let _serial = exclusive();
    let server = keyed_server();

    configure(Some(&server.endpoint), None, None);
    expect_auth_error(ping(), &server);
    let (rc, index) = try_flat_l2(4);
    expect_auth_error(rc, &server);
    assert!(index.is_none());

    configure(Some(&server.endpoint), Some("wrong-key-55aa"), None);
    expect_auth_error(ping(), &server);
    expect_auth_error(try_flat_l2(4).0, &server);

    // A real key cannot claim another tenant.
    configure(Some(&server.endpoint), Some(KEY_ONE), Some("beta"));
    expect_auth_error(ping(), &server);

    for tenant in [None, Some("alpha")] {
        configure(Some(&server.endpoint), Some(KEY_ONE), tenant);
        check(ping());
        let index = flat_l2(4);
        assert!(is_remote(index.ptr()));
        index.add(&[1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0]);
        let (distances, labels) = index.search(&[0.0, 0.0, 0.0, 0.5], 1);
        assert_eq!((labels[0], distances[0]), (1, 0.25));
    }
    local_mode();

    let log = server.stderr();
    for key in [KEY_ONE, KEY_TWO, "wrong-key-55aa"] {
        assert!(!log.contains(key), "the server logged a key: {log}");
    }
}

#[test]
fn keys_from_an_auth_file() {
    let _serial = exclusive();
    let dir = TempDir::new("auth-file");
    let file = dir.path().join("keys.json");
    std::fs::write(&file, format!(r#"{{"{KEY_TWO}": "gamma"}}"#)).unwrap();
    let server = Server::start(&["--auth-file", file.to_str().unwrap(), "--enable-auth"]);
    configure(Some(&server.endpoint), Some(KEY_TWO), Some("gamma"));
    check(ping());
    configure(Some(&server.endpoint), Some(KEY_ONE), None);
    expect_auth_error(ping(), &server);
    local_mode();
}

#[test]
fn tenants_see_only_their_own_indexes() {
    let _serial = exclusive();
    let server = keyed_server();
    let mut alpha = Raw::connect(&server.endpoint).with_key(KEY_ONE);
    let mut beta = Raw::connect(&server.endpoint).with_key(KEY_TWO);

    // The same name in both tenants: different dimensions and contents.
    alpha.create_flat("shared", 4);
    alpha.add(
        "shared",
        &[1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0],
        4,
    );
    beta.create_flat("shared", 2);
    beta.add("shared", &[9.0, 9.0, 8.0, 8.0], 2);
    alpha.create_flat("alpha-only", 3);
    assert_eq!(alpha.list(), ["alpha-only", "shared"]);
    assert_eq!(beta.list(), ["shared"]);

    configure(Some(&server.endpoint), Some(KEY_ONE), None);
    let a = open("shared").expect("alpha opens its index");
    assert_eq!((a.d(), a.ntotal()), (4, 3));
    let (distances, labels) = a.search(&[2.0, 2.0, 2.0, 2.0], 1);
    assert_eq!((labels[0], distances[0]), (1, 0.0));
    // An index alpha creates through the C API stays alpha's.
    let created = flat_l2(3);
    let created_name = remote_name(&created);
    assert!(alpha.list().contains(&created_name));

    configure(Some(&server.endpoint), Some(KEY_TWO), None);
    let b = open("shared").expect("beta opens its index");
    assert_eq!((b.d(), b.ntotal()), (2, 2));
    let (distances, labels) = b.search(&[8.0, 8.0], 1);
    assert_eq!((labels[0], distances[0]), (1, 0.0));
    for name in ["alpha-only", created_name.as_str()] {
        let rc = open(name).err().expect("beta cannot open alpha's index");
        assert_eq!(rc, FAISSX_ERR_NOT_FOUND, "{}", last_error());
        expect_message(&[name]);
    }
    assert!(!beta.list().contains(&created_name));

    // Writes and deletes by beta never reach alpha's index of the same name.
    b.add(&[7.0, 7.0]);
    assert_eq!(a.ntotal(), 3);
    for op in [
        Op::Delete {
            index: "alpha-only".into(),
        },
        Op::Reset {
            index: "alpha-only".into(),
        },
        Op::Info {
            index: "alpha-only".into(),
        },
        Op::Clone {
            index: "alpha-only".into(),
            to: "stolen".into(),
        },
    ] {
        assert_eq!(beta.err(op, vec![]).kind, ErrorKind::NotFound);
    }
    let merge = Op::MergeFrom {
        index: "shared".into(),
        other: "alpha-only".into(),
        add_id: 0,
    };
    assert_eq!(beta.err(merge, vec![]).kind, ErrorKind::NotFound);
    beta.ok(
        Op::Delete {
            index: "shared".into(),
        },
        vec![],
    );
    assert_eq!(beta.list(), Vec::<String>::new());
    assert_eq!(alpha.list(), {
        let mut names = vec![
            "alpha-only".to_string(),
            "shared".to_string(),
            created_name.clone(),
        ];
        names.sort();
        names
    });
    assert_eq!(a.ntotal(), 3);
    drop((a, b));
    drop(created);
    local_mode();
}

#[test]
fn without_auth_the_tenant_id_namespaces_indexes() {
    let _serial = exclusive();
    let server = Server::start(&[]);
    configure(Some(&server.endpoint), None, Some("red"));
    let red = flat_l2(2);
    let name = remote_name(&red);
    assert!(open(&name).is_ok());
    configure(Some(&server.endpoint), None, Some("blue"));
    assert_eq!(open(&name).err(), Some(FAISSX_ERR_NOT_FOUND));
    configure(Some(&server.endpoint), None, None);
    assert_eq!(open(&name).err(), Some(FAISSX_ERR_NOT_FOUND));
    local_mode();
}
