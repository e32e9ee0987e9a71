"""The durable-rules engine: conditions translated into durable-rules' dialect within its
limits (`translate`), laid out as rulesets (`layout`), fed as events (`events`) to hosts
(`host`) in worker processes (`worker`, `pool`)."""
