(module
  (func $answer (export "answer") (result i32)
    (i32.mul (i32.add (i32.const 4) (i32.const 2)) (i32.const 7))))
