-- Whether a stage change was notified is read from the notification service's ledger (a delivery of message
-- 'alert-<trigger id>' that was sent), not kept beside the trigger: the trigger comes back from the DP's report and the
-- delivery from the notification service, in either order, so a stored flag would need both writers to meet.
ALTER TABLE alert_triggers DROP COLUMN notification_sent;
