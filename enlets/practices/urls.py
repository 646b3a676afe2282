from django.urls import path

from enlets.practices import discussion_views, feeds, summaries, topic_views, views

app_name = "practices"

urlpatterns = [
    path("", views.practice_list, name="list"),
    path("new/", views.practice_create, name="create"),
    path("export.<str:fmt>", summaries.practice_export, name="export"),
    path("preview/", views.markdown_preview, name="preview"),
    path("<int:pk>/", views.practice_detail, name="detail"),
    path("<int:pk>/edit/", views.practice_edit, name="edit"),
    path("<int:pk>/delete/", views.practice_delete, name="delete"),
    path("<int:pk>/workflow/<str:step>/", discussion_views.practice_transition, name="transition"),
    path("<int:pk>/review/", discussion_views.practice_review, name="review"),
    path("<int:pk>/revisions/", views.revision_list, name="revisions"),
    path("<int:pk>/revisions/<int:number>/", views.revision_detail, name="revision"),
    path("<int:pk>/revisions/diff/", views.revision_diff, name="diff"),
    path("<int:pk>/files/<int:attachment_pk>/", views.practice_attachment, name="attachment"),
    path("<int:pk>/files/<int:attachment_pk>/remove/", views.attachment_remove, name="attachment_remove"),
    path("<int:pk>/adoption/", discussion_views.adoption_record, name="adoption"),
    path("<int:pk>/comments/", discussion_views.comment_add, name="comment_add"),
    path("<int:pk>/comments/<int:comment_pk>/edit/", discussion_views.comment_edit, name="comment_edit"),
    path("<int:pk>/comments/<int:comment_pk>/remove/", discussion_views.comment_remove, name="comment_remove"),
    path("topics/", topic_views.topic_list, name="topics"),
    path("topics/new/", topic_views.topic_create, name="topic_create"),
    path("topics/<slug:slug>/", topic_views.topic_detail, name="topic"),
    path("topics/<slug:slug>/edit/", topic_views.topic_edit, name="topic_edit"),
    path("topics/<slug:slug>/merge/", topic_views.topic_merge, name="topic_merge"),
    path("topics/<slug:slug>/retire/", topic_views.topic_retire, name="topic_retire"),
    path("topics/<slug:slug>/summary/", summaries.topic_summary, name="summary"),
    path("topics/<slug:slug>/summary.pdf", summaries.topic_summary_pdf, name="summary_pdf"),
    path("topics/<slug:slug>/feed.atom", feeds.TopicFeed(), name="topic_feed"),
    path("feed.atom", feeds.PublicFeed(), name="feed"),
    path("feed/<str:secret>.atom", feeds.PersonalFeed(), name="personal_feed"),
    path("subscriptions/", feeds.subscriptions, name="subscriptions"),
    path("subscriptions/feed-tokens/", feeds.feed_tokens, name="feed_tokens"),
]
