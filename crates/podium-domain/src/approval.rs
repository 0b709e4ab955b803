//! Product approval, stage by stage (DESIGN §3.3): the state machine every submission follows.

/// The stages a licensor reviews, in order; the last one is Final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stages(Vec<String>);

pub const DEFAULT_STAGES: [&str; 4] = ["concept", "pre-production", "production", "final"];

impl Default for Stages {
    fn default() -> Self {
        Stages(DEFAULT_STAGES.iter().map(|s| s.to_string()).collect())
    }
}

impl Stages {
    /// A licensor's own list; at least one stage, no repeats.
    pub fn new(names: Vec<String>) -> Option<Stages> {
        let unique = names.iter().enumerate().all(|(i, n)| !n.is_empty() && !names[..i].contains(n));
        (unique && !names.is_empty()).then_some(Stages(names))
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }

    pub fn last(&self) -> usize {
        self.0.len() - 1
    }

    pub fn name(&self, i: usize) -> &str {
        self.0.get(i).map(String::as_str).unwrap_or("")
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|n| n == name)
    }

    /// Where a revision of an approved product starts: the last stage before Final.
    pub fn revision_start(&self) -> usize {
        self.last().saturating_sub(1)
    }

    /// The stage whose approval lets a licensor issue authenticity codes (labels are printed
    /// during production): "production" where the licensor has one, else the one before Final.
    pub fn production(&self) -> usize {
        self.index_of("production").unwrap_or_else(|| self.revision_start())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Waiting for the licensor's decision at the current stage.
    Submitted,
    /// The licensor asked for changes; the merchant edits and resubmits the same stage.
    NeedsRevision,
    /// Closed by the licensor.
    Rejected,
    /// Approved at Final: done.
    Approved,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Submitted, Status::NeedsRevision, Status::Rejected, Status::Approved];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::NeedsRevision => "needs_revision",
            Status::Rejected => "rejected",
            Status::Approved => "approved",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn is_open(self) -> bool {
        matches!(self, Status::Submitted | Status::NeedsRevision)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Approve,
    RequestRevision,
    Reject,
    Resubmit,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::Approve, Action::RequestRevision, Action::Reject, Action::Resubmit];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::RequestRevision => "needs_revision",
            Action::Reject => "reject",
            Action::Resubmit => "resubmit",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Who takes this action.
    pub fn actor(self) -> Actor {
        match self {
            Action::Resubmit => Actor::Licensee,
            _ => Actor::Licensor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    Licensor,
    Licensee,
}

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct State {
    pub stage: usize,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("only the licensor decides a submission")]
    LicensorDecides,
    #[error("only the licensee resubmits")]
    LicenseeResubmits,
    #[error("the submission is waiting for the licensee to revise and resubmit it")]
    AwaitingRevision,
    #[error("the submission is already waiting for the licensor's decision")]
    AlreadySubmitted,
    #[error("the submission was rejected and is closed")]
    Closed,
    #[error("the submission is already approved at the final stage")]
    Complete,
    #[error("the submission is at an unknown stage")]
    UnknownStage,
}

impl State {
    pub fn new(stage: usize) -> State {
        State { stage, status: Status::Submitted }
    }

    /// The state after `actor` takes `action`, or why that is not allowed. Approval moves to the
    /// next stage (waiting for the licensor again) or, at the last stage, completes.
    pub fn apply(self, action: Action, actor: Actor, stages: &Stages) -> Result<State, TransitionError> {
        if self.stage > stages.last() {
            return Err(TransitionError::UnknownStage);
        }
        match self.status {
            Status::Rejected => return Err(TransitionError::Closed),
            Status::Approved => return Err(TransitionError::Complete),
            _ => {}
        }
        if action.actor() != actor {
            return Err(match actor {
                Actor::Licensee => TransitionError::LicensorDecides,
                Actor::Licensor => TransitionError::LicenseeResubmits,
            });
        }
        match (self.status, action) {
            (Status::NeedsRevision, Action::Resubmit) => Ok(State::new(self.stage)),
            (Status::NeedsRevision, _) => Err(TransitionError::AwaitingRevision),
            (Status::Submitted, Action::Resubmit) => Err(TransitionError::AlreadySubmitted),
            (Status::Submitted, Action::Approve) if self.stage == stages.last() => {
                Ok(State { stage: self.stage, status: Status::Approved })
            }
            (Status::Submitted, Action::Approve) => Ok(State::new(self.stage + 1)),
            (Status::Submitted, Action::RequestRevision) => {
                Ok(State { stage: self.stage, status: Status::NeedsRevision })
            }
            (Status::Submitted, Action::Reject) => Ok(State { stage: self.stage, status: Status::Rejected }),
            (Status::Rejected | Status::Approved, _) => Err(TransitionError::Closed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transition_is_allowed_or_refused_with_a_reason() {
        let stages = Stages::default();
        let actors = [Actor::Licensor, Actor::Licensee];
        let mut allowed = 0;
        for stage in 0..=stages.last() + 1 {
            for status in Status::ALL {
                for action in Action::ALL {
                    for actor in actors {
                        let from = State { stage, status };
                        let result = from.apply(action, actor, &stages);
                        let expected = if stage > stages.last() {
                            Err(TransitionError::UnknownStage)
                        } else {
                            match (status, action, actor) {
                                (Status::Rejected, _, _) => Err(TransitionError::Closed),
                                (Status::Approved, _, _) => Err(TransitionError::Complete),
                                (_, Action::Resubmit, Actor::Licensor) => Err(TransitionError::LicenseeResubmits),
                                (_, a, Actor::Licensee) if a != Action::Resubmit => {
                                    Err(TransitionError::LicensorDecides)
                                }
                                (Status::NeedsRevision, Action::Resubmit, _) => Ok(State::new(stage)),
                                (Status::NeedsRevision, _, _) => Err(TransitionError::AwaitingRevision),
                                (Status::Submitted, Action::Resubmit, _) => Err(TransitionError::AlreadySubmitted),
                                (Status::Submitted, Action::Approve, _) if stage == 3 => {
                                    Ok(State { stage, status: Status::Approved })
                                }
                                (Status::Submitted, Action::Approve, _) => Ok(State::new(stage + 1)),
                                (Status::Submitted, Action::RequestRevision, _) => {
                                    Ok(State { stage, status: Status::NeedsRevision })
                                }
                                (Status::Submitted, Action::Reject, _) => Ok(State { stage, status: Status::Rejected }),
                            }
                        };
                        assert_eq!(result, expected, "{from:?} {action:?} by {actor:?}");
                        match result {
                            Ok(_) => allowed += 1,
                            Err(e) => assert!(e.to_string().len() > 10, "a refusal gives a reason"),
                        }
                    }
                }
            }
        }
        // Per stage: approve, ask for revision, reject (submitted) and resubmit (needs revision).
        assert_eq!(allowed, 4 * 4);
    }

    #[test]
    fn a_product_walks_every_stage_to_final() {
        let stages = Stages::default();
        let mut s = State::new(0);
        s = s.apply(Action::RequestRevision, Actor::Licensor, &stages).expect("revise");
        assert_eq!(s.status, Status::NeedsRevision);
        s = s.apply(Action::Resubmit, Actor::Licensee, &stages).expect("resubmit");
        for expected in 1..=3 {
            s = s.apply(Action::Approve, Actor::Licensor, &stages).expect("approve");
            assert_eq!(s, State::new(expected));
        }
        s = s.apply(Action::Approve, Actor::Licensor, &stages).expect("final");
        assert_eq!(s, State { stage: 3, status: Status::Approved });
        assert_eq!(s.apply(Action::Approve, Actor::Licensor, &stages), Err(TransitionError::Complete));
    }

    #[test]
    fn revisions_start_before_final_and_custom_stages_work() {
        let stages = Stages::default();
        assert_eq!(stages.name(stages.revision_start()), "production");
        assert_eq!(stages.production(), 2);
        let short = Stages::new(vec!["design".into(), "final".into()]).expect("stages");
        assert_eq!((short.revision_start(), short.production(), short.last()), (0, 0, 1));
        let one = Stages::new(vec!["final".into()]).expect("one stage");
        assert_eq!(
            State::new(0).apply(Action::Approve, Actor::Licensor, &one),
            Ok(State { stage: 0, status: Status::Approved })
        );
        assert_eq!(Stages::new(vec![]), None);
        assert_eq!(Stages::new(vec!["a".into(), "a".into()]), None);
    }
}
