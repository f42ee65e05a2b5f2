//! The Machines API under `/v1`, with the spec's path templates (so request
//! log routes and fault routes read exactly like the OpenAPI paths).

mod actions;
mod apps;
mod exec;
pub mod extract;
mod guard;
mod history;
mod ips;
mod leases;
mod logs;
mod machines;
mod metadata;
pub mod middleware;
mod orgs;
mod secrets;
mod volumes;
mod wait;

use axum::Router;
use axum::routing::{get, post, put};

use crate::context::Ctx;
use crate::error::ApiError;

pub fn router(ctx: Ctx) -> Router {
    const M: &str = "/v1/apps/{app_name}/machines/{machine_id}";
    const V: &str = "/v1/apps/{app_name}/volumes/{volume_id}";
    Router::new()
        .route("/v1/apps", get(apps::list).post(apps::create))
        .route("/v1/apps/{app_name}", get(apps::show).delete(apps::delete))
        .route(
            "/v1/apps/{app_name}/machines",
            get(machines::list).post(machines::create),
        )
        .route(
            M,
            get(machines::show)
                .post(machines::update)
                .delete(machines::destroy),
        )
        .route(&format!("{M}/start"), post(actions::start))
        .route(&format!("{M}/stop"), post(actions::stop))
        .route(&format!("{M}/restart"), post(actions::restart))
        .route(&format!("{M}/suspend"), post(actions::suspend))
        .route(&format!("{M}/signal"), post(actions::signal))
        .route(&format!("{M}/cordon"), post(actions::cordon))
        .route(&format!("{M}/uncordon"), post(actions::uncordon))
        .route(&format!("{M}/wait"), get(wait::wait))
        .route(
            &format!("{M}/lease"),
            get(leases::show)
                .post(leases::acquire)
                .delete(leases::release),
        )
        .route(&format!("{M}/events"), get(history::events))
        .route(&format!("{M}/versions"), get(history::versions))
        .route(&format!("{M}/exec"), post(exec::exec))
        .route(
            &format!("{M}/metadata"),
            get(metadata::show)
                .put(metadata::update)
                .patch(metadata::update),
        )
        .route(
            &format!("{M}/metadata/{{key}}"),
            get(metadata::show_key)
                .post(metadata::upsert_key)
                .delete(metadata::delete_key),
        )
        .route(
            "/v1/apps/{app_name}/volumes",
            get(volumes::list).post(volumes::create),
        )
        .route(
            V,
            get(volumes::show)
                .put(volumes::update)
                .delete(volumes::delete),
        )
        .route(&format!("{V}/extend"), put(volumes::extend))
        .route(
            &format!("{V}/snapshots"),
            get(volumes::snapshots).post(volumes::create_snapshot),
        )
        .route(
            "/v1/apps/{app_name}/secrets",
            get(secrets::list).post(secrets::update),
        )
        .route(
            "/v1/apps/{app_name}/secrets/{secret_name}",
            get(secrets::show)
                .post(secrets::set)
                .delete(secrets::delete),
        )
        .route(
            "/v1/apps/{app_name}/ip_assignments",
            get(ips::list).post(ips::assign),
        )
        .route(
            "/v1/apps/{app_name}/ip_assignments/{ip}",
            axum::routing::delete(ips::release),
        )
        .route("/v1/orgs/{org_slug}/machines", get(orgs::machines))
        // Fly's log API (api.fly.io, not the Machines API), as flyctl polls it.
        .route("/api/v1/apps/{app_name}/logs", get(logs::app_logs))
        .route("/v1/orgs/{org_slug}/volumes", get(orgs::volumes))
        .route_layer(axum::middleware::from_fn_with_state(
            ctx.clone(),
            middleware::log_and_faults,
        ))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            ctx.clone(),
            middleware::auth,
        ))
        .with_state(ctx)
}

async fn not_found() -> ApiError {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, "404 page not found")
}
