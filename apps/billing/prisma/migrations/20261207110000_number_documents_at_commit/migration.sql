-- Gap-free document numbers are taken in the COMMIT itself (application/numbering.ts,
-- docs/performance.md): the transaction that issues a document sets its `numbering` request
-- (series, prefix, the events that carry the number) without locking the counter, and this deferred trigger
-- increments the series' counter, numbers the document and puts the number into those events'
-- outbox rows while PostgreSQL commits. The counter's row is then locked for the commit alone,
-- not for the round trips between the service's last statement and its COMMIT, which a busy
-- service took long to send. A rollback (also of the commit) still gives the number back.

-- AlterTable
ALTER TABLE "invoices" ADD COLUMN "numbering" JSONB;

-- AlterTable
ALTER TABLE "credit_notes" ADD COLUMN "numbering" JSONB;

-- One statement (the commit runs it at the top level, so pg_stat_statements counts it as one):
-- the document's request as it stands now (set twice, it is numbered once), the counter, the
-- document and the events that carry its number.
CREATE FUNCTION number_document_at_commit() RETURNS trigger LANGUAGE plpgsql AS $function$
BEGIN
  EXECUTE format($statement$
    WITH request AS (SELECT numbering FROM %1$I WHERE id = $1 AND number IS NULL),
    counter AS (
      INSERT INTO number_sequences AS sequence (name, last_value) SELECT numbering->>'sequence', 1 FROM request
      ON CONFLICT (name) DO UPDATE SET last_value = sequence.last_value + 1
      RETURNING last_value),
    issued AS (
      SELECT (numbering->>'prefix') || CASE WHEN last_value > 999999 THEN last_value::text ELSE lpad(last_value::text, 6, '0') END AS number,
             ARRAY(SELECT jsonb_array_elements_text(numbering->'eventIds'))::uuid[] AS event_ids
      FROM request, counter),
    events AS (
      UPDATE outbox_events SET envelope = jsonb_set(envelope, '{data,number}', to_jsonb(issued.number))
      FROM issued WHERE outbox_events.id = ANY(issued.event_ids))
    UPDATE %1$I AS document SET number = issued.number, numbering = NULL FROM issued WHERE document.id = $1
  $statement$, TG_TABLE_NAME) USING NEW.id;
  RETURN NULL;
END $function$;

-- On an insert too: a document written with its request already set is numbered all the same.
CREATE CONSTRAINT TRIGGER "invoices_number_at_commit" AFTER INSERT OR UPDATE OF "numbering" ON "invoices"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW."numbering" IS NOT NULL AND NEW."number" IS NULL)
  EXECUTE FUNCTION number_document_at_commit();

CREATE CONSTRAINT TRIGGER "credit_notes_number_at_commit" AFTER INSERT OR UPDATE OF "numbering" ON "credit_notes"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW."numbering" IS NOT NULL AND NEW."number" IS NULL)
  EXECUTE FUNCTION number_document_at_commit();
