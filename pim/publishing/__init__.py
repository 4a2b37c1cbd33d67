"""Publishing: immutable snapshots of channel variants, the feeds built from them and the
keys distributors pull them with.

Public functions: ``publish``, ``withdraw``, ``current_snapshot``, ``snapshot_history``
(snapshots); ``stream_feed``, ``feed_state``, ``iter_published_variants`` (feeds);
``create_feed_key``, ``authenticate_feed_key``, ``revoke_feed_key``, ``list_feed_keys``
(feed keys). Import them from their modules; this package stays cheap to import.
"""
