-- Images screening kept from being posted (paid for, so they count for cost).
ALTER TABLE jobs ADD COLUMN images_withheld INTEGER NOT NULL DEFAULT 0;
