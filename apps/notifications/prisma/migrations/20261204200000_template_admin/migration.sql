-- Stored templates (NTF-04): every save is a new version; the newest per (template, channel, locale) is live.
CREATE TABLE "notification_templates" (
    "id" UUID NOT NULL,
    "template" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "locale" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "content" JSONB NOT NULL,
    "author" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_templates_pkey" PRIMARY KEY ("id")
);

-- Planning reads the live versions of one template in one locale; a save takes the next version number.
CREATE UNIQUE INDEX "notification_templates_template_locale_channel_version_key" ON "notification_templates"("template", "locale", "channel", "version");

-- A test send is history, never a customer's message: no events, not in the order's log or the analytics.
ALTER TABLE "notifications" ADD COLUMN "test" BOOLEAN NOT NULL DEFAULT false;
