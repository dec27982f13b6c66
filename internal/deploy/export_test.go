package deploy

// AdaptiveOnly makes d poll as the first poller did: PollMin after a
// change, backing off to PollMax, with no predicted waits.
func AdaptiveOnly(d *Driver) { d.adaptiveOnly = true }
