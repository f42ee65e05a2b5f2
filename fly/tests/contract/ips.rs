//! IP assignments against fly-local: shared v4, public v6, private flycast v6.

use fly_machines::AllocateIp;

use crate::local::Local;

#[tokio::test]
async fn allocate_list_and_release_each_kind() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let ips = local.client().ips("oc-a");

    let shared = ips.allocate(&AllocateIp::SharedV4).await.unwrap();
    assert!(shared.shared && !shared.is_v6(), "{shared:?}");
    let public = ips.allocate(&AllocateIp::public_v6()).await.unwrap();
    assert!(public.is_v6() && !public.is_private(), "{public:?}");
    let flycast = ips.allocate(&AllocateIp::private_v6()).await.unwrap();
    assert!(
        flycast.is_private(),
        "flycast addresses are fdaa: {flycast:?}"
    );

    let mut listed: Vec<String> = ips
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|ip| ip.ip)
        .collect();
    listed.sort();
    let mut expected = vec![shared.ip.clone(), public.ip.clone(), flycast.ip.clone()];
    expected.sort();
    assert_eq!(listed, expected);

    ips.release(&public.ip).await.unwrap();
    ips.release(&shared.ip).await.unwrap();
    let left: Vec<String> = ips
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|ip| ip.ip)
        .collect();
    assert_eq!(left, vec![flycast.ip]);
    assert!(ips.release(&public.ip).await.unwrap_err().is_not_found());
}
