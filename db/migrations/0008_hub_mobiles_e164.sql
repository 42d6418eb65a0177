-- Hub mobiles are stored as E.164. Earlier releases also stored a bare 11-digit mainland China
-- mobile (their only other accepted form): give those their +86, unless that number is taken.
UPDATE "hub_users" AS u SET "mobile" = '+86' || u."mobile"
WHERE u."mobile" ~ '^1[0-9]{10}$'
  AND NOT EXISTS (SELECT 1 FROM "hub_users" AS o WHERE o."mobile" = '+86' || u."mobile");
