//! Podium's one route table. Every module adds its routes through [`Routes`], which builds the
//! axum router and, beside it, the list of every method and path it serves. The authorization
//! matrix test (`tests/authorization.rs`) reads that list, so a new route cannot be added
//! without saying who may use it.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{self, MethodRouter};
use axum::Router;

use crate::AppState;

/// One route: a method and an axum path pattern such as `/console/shops/{shop}/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Route {
    pub method: Method,
    pub path: String,
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// A router under construction and the table of what it serves.
#[must_use]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<Route>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new()
    }
}

impl Routes {
    pub fn new() -> Routes {
        Routes { router: Router::new(), table: Vec::new() }
    }

    fn add(mut self, method: Method, path: &str, handler: MethodRouter<AppState>) -> Routes {
        // axum merges a second method on a path already routed into the same method router.
        self.router = self.router.route(path, handler);
        self.table.push(Route { method, path: path.to_string() });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Routes {
        self.add(Method::GET, path, routing::get(handler))
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Routes {
        self.add(Method::POST, path, routing::post(handler))
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Routes {
        self.add(Method::DELETE, path, routing::delete(handler))
    }

    /// Changes the router (a layer, a fallback) while keeping the table.
    pub fn map(mut self, f: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Routes {
        self.router = f(self.router);
        self
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// Merges a router built elsewhere (the API viewer), naming the routes it serves.
    pub fn merge_router(mut self, router: Router<AppState>, serves: &[(Method, &str)]) -> Routes {
        self.router = self.router.merge(router);
        self.table.extend(serves.iter().map(|(m, p)| Route { method: m.clone(), path: p.to_string() }));
        self
    }

    pub fn nest(mut self, prefix: &str, other: Routes) -> Routes {
        self.router = self.router.nest(prefix, other.router);
        self.table
            .extend(other.table.into_iter().map(|r| Route { method: r.method, path: format!("{prefix}{}", r.path) }));
        self
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<Route>) {
        (self.router, self.table)
    }
}
