//! Which agent answers a message, and in which session.
//!
//! The agent comes from `bindings` (peer > guild + role > guild > team > exact
//! account > `"*"` > the default agent). Session keys follow the original: direct
//! messages share the agent's main session (`agent:<id>:main`, `session.dmScope`
//! `main`), a group or channel has its own (`agent:<id>:telegram:group:<chatId>`,
//! `agent:<id>:discord:channel:<channelId>`).

use super::inbound::{ChatKind, Inbound};
use crate::agents::config::{AgentsConfig, PeerKind, RouteQuery};

/// The agent and session a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub agent_id: String,
    pub session_key: String,
}

/// Routes `m` with the agents config.
pub fn route(agents: &AgentsConfig, m: &Inbound) -> Route {
    let channel = m.channel.id();
    let peer = match m.chat_kind {
        ChatKind::Direct => (PeerKind::Direct, m.sender_id.as_str()),
        ChatKind::Group => (PeerKind::Group, m.chat_id.as_str()),
        ChatKind::Channel => (PeerKind::Channel, m.chat_id.as_str()),
    };
    let agent_id = agents
        .bindings
        .route(
            &RouteQuery {
                channel,
                account_id: Some(&m.account_id),
                peer: Some(peer),
                guild_id: m.guild_id.as_deref(),
                team_id: None,
                roles: &m.roles,
            },
            &agents.agents.default_agent,
        )
        .to_owned();
    let session_key = match m.chat_kind {
        ChatKind::Direct => format!("agent:{agent_id}:main"),
        ChatKind::Group => format!("agent:{agent_id}:{channel}:group:{}", m.chat_id),
        ChatKind::Channel => format!("agent:{agent_id}:{channel}:channel:{}", m.chat_id),
    };
    Route {
        agent_id,
        session_key,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::agents::config::{Sections, parse};
    use crate::channels::status::ChannelKind;

    fn agents(bindings: serde_json::Value) -> AgentsConfig {
        let agents = json!({"ownership": "explicit",
            "entries": {"main": {}, "ops": {}, "mods": {}, "vip": {}, "tg": {}}});
        parse(Sections {
            agents: Some(&agents),
            bindings: Some(&bindings),
            ..Default::default()
        })
        .unwrap()
        .config
    }

    fn message(kind: ChatKind, roles: &[&str]) -> Inbound {
        Inbound {
            channel: ChannelKind::Discord,
            account_id: "default".into(),
            message_id: "1".into(),
            chat_kind: kind,
            chat_id: "200".into(),
            guild_id: (kind == ChatKind::Channel).then(|| "42".into()),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            sender_id: "7".into(),
            sender_name: "alice".into(),
            text: "hi".into(),
        }
    }

    #[test]
    fn tiers_pick_peer_then_role_then_guild_then_account() {
        let cfg = agents(json!([
            {"agentId": "ops", "match": {"channel": "discord"}},
            {"agentId": "mods", "match": {"channel": "discord", "guildId": "42"}},
            {"agentId": "vip", "match": {"channel": "discord", "guildId": "42", "roles": ["99"]}},
            {"agentId": "tg", "match": {"channel": "discord", "peer": {"kind": "channel", "id": "201"}}},
        ]));
        let plain = route(&cfg, &message(ChatKind::Channel, &[]));
        assert_eq!(
            plain,
            Route {
                agent_id: "mods".into(),
                session_key: "agent:mods:discord:channel:200".into()
            }
        );
        assert_eq!(
            route(&cfg, &message(ChatKind::Channel, &["99"])).agent_id,
            "vip"
        );
        let mut peer = message(ChatKind::Channel, &["99"]);
        peer.chat_id = "201".into();
        assert_eq!(route(&cfg, &peer).agent_id, "tg");
        let dm = route(&cfg, &message(ChatKind::Direct, &[]));
        assert_eq!(
            dm,
            Route {
                agent_id: "ops".into(),
                session_key: "agent:ops:main".into()
            }
        );
    }

    #[test]
    fn unbound_messages_go_to_the_default_agent() {
        let cfg = agents(json!([{"agentId": "ops", "match": {"channel": "telegram"}}]));
        let mut m = message(ChatKind::Group, &[]);
        m.channel = ChannelKind::Telegram;
        m.chat_id = "-1001".into();
        assert_eq!(
            route(&cfg, &m).session_key,
            "agent:ops:telegram:group:-1001"
        );
        m.account_id = "second".into();
        assert_eq!(route(&cfg, &m).agent_id, "main");
    }
}
